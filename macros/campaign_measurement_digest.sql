{% macro campaign_measurement_digest(campaigns, designs, rules, orders) -%}
    {#-
        MD5 of everything a row of fct_campaign_customer_outcomes depends on beyond its own customer: the measured
        campaigns (id, type, window, method, treated group), the prior-activity rule and the first order date in
        the warehouse. Takes the relations (or CTE names) to read, as a scalar subquery. The incremental fact
        stores it on every row and computes every customer again when the inputs give another digest.
    -#}
    (
        select md5(
            coalesce((
                select
                    {{ ordered_string_agg(
                        "concat_ws('|', digest_campaigns.campaign_id, digest_campaigns.campaign_type,"
                        ~ " cast(digest_campaigns.starts_at as string), cast(digest_campaigns.ends_at as string),"
                        ~ " digest_designs.measurement_method, digest_designs.treated_group)",
                        "','",
                        'digest_campaigns.campaign_id'
                    ) }}
                from {{ campaigns }} as digest_campaigns
                inner join {{ designs }} as digest_designs
                    on digest_campaigns.campaign_type = digest_designs.campaign_type
                where digest_designs.treated_group is not null
            ), '')
            || '#'
            || coalesce((
                select cast(max(digest_rules.rule_value) as string)
                from {{ rules }} as digest_rules
                where digest_rules.rule_name = 'prior_activity_days'
            ), '')
            || '#'
            || coalesce((select cast(min(digest_orders.order_date) as string) from {{ orders }} as digest_orders), '')
        )
    )
{%- endmacro %}
