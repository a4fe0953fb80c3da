{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='report_line_id',
        on_schema_change='fail'
    )
}}

-- One row per sell-through line a dealer reported: our product or a competitor's, units and revenue
-- in the reported currency and in the reporting currency (at the rate of the month's first day).
-- Incremental on loaded_at with the lookback window; a corrected report line replaces the old one.

with dealer_sales as (

    select * from {{ ref('stg_dealer_portal__dealer_sales') }}

),

products as (

    select * from {{ ref('stg_shop__products') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled') }}

),

new_report_lines as (

    select * from dealer_sales
    where loaded_at >= {{ incremental_cutoff() }}

),

final as (

    select
        new_report_lines.report_line_id,
        new_report_lines.dealer_id,
        new_report_lines.period_month,
        new_report_lines.product_id,
        coalesce(products.brand, new_report_lines.competitor_brand) as brand,
        new_report_lines.product_id is not null and coalesce(products.is_own_brand, false) as is_own_brand,
        new_report_lines.category as product_category,
        new_report_lines.quantity,
        new_report_lines.currency_code,
        cast(new_report_lines.revenue_amount as decimal(18, 4)) as revenue_amount,
        cast(fx_rates.rate_to_reporting as double) as fx_rate_to_reporting,
        cast(
            new_report_lines.revenue_amount * fx_rates.rate_to_reporting as decimal(18, 4)
        ) as revenue_amount_reporting,
        new_report_lines.loaded_at
    from new_report_lines
    left join products
        on new_report_lines.product_id = products.product_id
    left join fx_rates
        on
            new_report_lines.period_month = fx_rates.rate_date
            and new_report_lines.currency_code = fx_rates.currency_code

)

select * from final
