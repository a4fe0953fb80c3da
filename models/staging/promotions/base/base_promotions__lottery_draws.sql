with source as (

    select * from {{ source('promotions', 'lottery_draws') }}

),

known_lottery_prizes as (

    -- every landed lottery_prizes row is in its base model, cleaned as here, so a reference is known when any landed
    -- row has the id (quarantined or not)
    select distinct prize_id
    from {{ ref('base_promotions__lottery_prizes') }}
    where prize_id is not null

),

renamed as (

    select
        {{ clean_text('draw_id') }} as draw_id,
        {{ clean_text('campaign_id') }} as campaign_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('prize_id') }} as prize_id,
        {{ to_utc_timestamp('drawn_at') }} as drawn_at,
        {{ to_utc_timestamp('loaded_at') }} as loaded_at,
        {{ row_struct('source') }} as source_struct,
        {{ row_hash(row_struct('source')) }} as source_row_hash
    from source

),

checked as (

    select
        *,
        {{ row_key(['draw_id']) }} as row_key,
        case
            when draw_id is null then 'missing_key'
            when drawn_at > loaded_at then 'future_timestamp'
            when
                prize_id is not null
                and prize_id not in (select known_lottery_prizes.prize_id from known_lottery_prizes)
                then 'orphan_reference'
        end as failed_check
    from renamed

),

deduplicated as (

    {{ keep_latest_per_key('checked', ['draw_id']) }}

)

select * from deduplicated
