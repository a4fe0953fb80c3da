with source as (

    select * from {{ source('dealer_portal', 'dealer_sales') }}

),

known_currencies as (

    select * from {{ ref('currencies') }}

),

known_dealers as (

    -- every landed dealers row is in its base model, cleaned as here, so a reference is known when any landed
    -- row has the id (quarantined or not)
    select distinct dealer_id
    from {{ ref('base_dealer_portal__dealers') }}
    where dealer_id is not null

),

fx_rates as (

    select * from {{ ref('stg_reference__fx_rates') }}

),

renamed as (

    select
        {{ clean_text('report_line_id') }} as report_line_id,
        {{ clean_text('dealer_id') }} as dealer_id,
        cast(period_month as date) as period_month,
        {{ clean_text('product_id') }} as product_id,
        competitor_brand,
        lower(trim(category)) as category,
        {{ safe_number('quantity', 'integer') }} as quantity,
        {{ safe_number('revenue_amount', 'decimal(18, 4)') }} as revenue_amount,
        upper(trim(currency_code)) as currency_code,
        {{ to_utc_timestamp('loaded_at') }} as loaded_at,
        {{ row_struct('source') }} as source_struct,
        {{ row_hash(row_struct('source')) }} as source_row_hash
    from source

),

checked as (

    select
        *,
        {{ row_key(['report_line_id']) }} as row_key,
        case
            when report_line_id is null then 'missing_key'
            when {{ is_unknown_currency('known_currencies', 'currency_code') }} then 'unknown_currency'
            when quantity is null or quantity <= 0 then 'invalid_quantity'
            when revenue_amount is null or revenue_amount < 0 then 'invalid_amount'
            when
                dealer_id is not null
                and dealer_id not in (select known_dealers.dealer_id from known_dealers)
                then 'orphan_reference'
            when
                revenue_amount != 0
                and {{ fx_rate_is_missing('fx_rates', 'renamed.currency_code', 'renamed.period_month') }}
                then 'missing_fx_rate'
        end as failed_check
    from renamed

),

deduplicated as (

    {{ keep_latest_per_key('checked', ['report_line_id']) }}

)

select * from deduplicated
