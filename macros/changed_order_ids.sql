{% macro changed_order_ids() -%}
    {#-
        The orders an incremental order fact must rebuild: those whose header, lines or refunds staging wrote
        since the fact last ran (staged_at after the newest in the fact: a file that lands late, with old
        loaded_at, counts too; and those loaded since a Dagster run's first day, see loaded_since_backfill_start),
        those whose customer now resolves to another golden customer than the fact holds (MDM matched or
        re-matched it, however late its file landed), those with a product re-landed since the cutoff (see
        incremental_cutoff), those whose first-order code's
        campaign landed since then, and those on or after the first day whose exchange rate landed since then.
        On a full build: every order.
    -#}
    {%- set orders = ref('stg_shop__orders') -%}
    {%- set order_lines = ref('stg_shop__order_lines') -%}
    {%- set refunds = ref('stg_shop__refunds') -%}
    {%- set fx_rates = ref('stg_reference__fx_rates') -%}
    {%- set customer_ids = ref('int_customer_ids_resolved') -%}
    {%- set products = ref('stg_shop__products') -%}
    {%- set campaigns = ref('stg_marketing__campaigns') -%}
    {%- if not is_incremental() %}
    select order_id from {{ orders }}
    {%- else %}
    with first_repriced_date as (
        select min(rate_date) as rate_date
        from {{ fx_rates }}
        where loaded_at >= {{ incremental_cutoff() }}
    ),

    last_staged as (
        select {{ last_staged_at() }} as staged_at
    )

    select order_id from {{ orders }}
    where
        staged_at > (select staged_at from last_staged)
        or {{ loaded_since_backfill_start() }}
        or cast(placed_at as date) >= (select rate_date from first_repriced_date)
    union
    select order_id from {{ order_lines }}
    where staged_at > (select staged_at from last_staged) or {{ loaded_since_backfill_start() }}
    union
    select order_id from {{ refunds }}
    where
        staged_at > (select staged_at from last_staged)
        or {{ loaded_since_backfill_start() }}
        or cast(refunded_at as date) >= (select rate_date from first_repriced_date)
    union
    select built.order_id
    from {{ this }} as built
    left join {{ customer_ids }} as customer_ids
        on
            customer_ids.source_system = 'shop'
            and built.shop_customer_id = customer_ids.source_customer_id
    where built.golden_customer_id is distinct from customer_ids.golden_customer_id
    union
    select order_lines.order_id
    from {{ order_lines }} as order_lines
    inner join {{ products }} as products
        on order_lines.product_id = products.product_id
    where products.loaded_at >= {{ incremental_cutoff() }}
    union
    select orders.order_id
    from {{ orders }} as orders
    inner join {{ campaigns }} as campaigns
        on orders.discount_code = campaigns.discount_code
    where campaigns.loaded_at >= {{ incremental_cutoff() }}
    {%- endif %}
{%- endmacro %}
