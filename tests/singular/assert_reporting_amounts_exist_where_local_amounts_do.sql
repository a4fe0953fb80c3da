{{ config(meta={'dagster': {'ref': {'name': 'rpt_campaign_results'}}}) }}
-- No money is invented or lost in conversion: wherever a mart holds an amount in its local currency that is
-- not zero, the same amount in the reporting currency is neither null nor zero (a missing exchange rate is
-- quarantined in staging as missing_fx_rate, never coalesced to 0). One row per mart column that breaks it.
-- (tests/python/test_staging_faults.py checks every `<x>` / `<x>_reporting` pair the marts hold.)
{%- set pairs = [
    ('fct_order_lines', 'gross_amount'),
    ('fct_order_lines', 'discount_amount'),
    ('fct_order_lines', 'net_amount'),
    ('fct_order_lines', 'refunded_amount'),
    ('fct_orders', 'gross_amount'),
    ('fct_orders', 'discount_amount'),
    ('fct_orders', 'net_amount'),
    ('fct_orders', 'refunded_amount'),
    ('fct_refunds', 'refund_amount'),
    ('fct_wallet_ledger', 'amount'),
    ('fct_wallet_ledger', 'paid_amount'),
    ('fct_wallet_ledger', 'bonus_amount'),
    ('fct_dealer_sales', 'revenue_amount'),
    ('fct_leads', 'won_amount'),
    ('fct_after_sales_tickets', 'compensation_amount'),
    ('rpt_campaign_results', 'cost_amount'),
] %}

{% for model_name, column_name in pairs %}
    select
        '{{ model_name }}' as model_name,
        '{{ column_name }}' as column_name,
        count(*) as rows_without_reporting_amount
    from {{ ref(model_name) }}
    where
        {{ column_name }} != 0
        and ({{ column_name }}_reporting is null or {{ column_name }}_reporting = 0)
    having count(*) > 0
    {% if not loop.last %}union all{% endif %}
{% endfor %}
