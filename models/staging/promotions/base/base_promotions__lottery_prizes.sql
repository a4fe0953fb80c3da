with source as (

    select * from {{ source('promotions', 'lottery_prizes') }}

),

known_currencies as (

    select * from {{ ref('currencies') }}

),

renamed as (

    select
        {{ clean_text('prize_id') }} as prize_id,
        {{ clean_text('campaign_id') }} as campaign_id,
        prize_name,
        {{ safe_number('advertised_odds', 'double') }} as advertised_odds,
        {{ safe_number('stock_quantity', 'integer') }} as stock_quantity,
        {{ safe_number('prize_value_amount', 'decimal(18, 4)') }} as prize_value_amount,
        upper(trim(currency_code)) as currency_code,
        {{ to_utc_timestamp('loaded_at') }} as loaded_at,
        {{ row_struct('source') }} as source_struct,
        {{ row_hash(row_struct('source')) }} as source_row_hash
    from source

),

checked as (

    select
        *,
        {{ row_key(['prize_id']) }} as row_key,
        case
            when prize_id is null then 'missing_key'
            when {{ is_unknown_currency('known_currencies', 'currency_code') }} then 'unknown_currency'
            when stock_quantity is null or stock_quantity < 0 then 'invalid_quantity'
            when advertised_odds is null or advertised_odds <= 0 or advertised_odds > 1 then 'invalid_amount'
            when {{ is_unusable_number('prize_value_amount') }} then 'invalid_amount'
            when length(prize_name) > {{ var('max_text_length') }} then 'value_too_long'
        end as failed_check
    from renamed

),

deduplicated as (

    {{ keep_latest_per_key('checked', ['prize_id']) }}

)

select * from deduplicated
