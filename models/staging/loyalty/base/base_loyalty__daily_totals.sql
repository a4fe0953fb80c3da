with source as (

    select * from {{ source('loyalty', 'daily_totals') }}

),

accepted_codes as (

    select * from {{ ref('accepted_codes') }}

),

renamed as (

    select
        cast(total_date as date) as total_date,
        lower(trim(transaction_type)) as transaction_type,
        {{ safe_number('transaction_count', 'integer') }} as transaction_count,
        {{ safe_number('amount_total', 'decimal(18, 4)') }} as amount_total,
        {{ safe_number('points_total', 'integer') }} as points_total,
        {{ to_utc_timestamp('loaded_at') }} as loaded_at,
        {{ row_struct('source') }} as source_struct,
        {{ row_hash(row_struct('source')) }} as source_row_hash
    from source

),

checked as (

    select
        *,
        {{ row_key(['total_date', 'transaction_type']) }} as row_key,
        case
            when
                total_date is null
                or transaction_type is null
                then 'missing_key'
            when {{ is_unaccepted_code('accepted_codes', 'transaction_type', 'transaction_type') }} then 'invalid_code'
            when {{ is_unusable_number('transaction_count') }} then 'invalid_quantity'
            when {{ is_unusable_number('points_total') }} then 'invalid_quantity'
            when {{ is_unusable_number('amount_total') }} then 'invalid_amount'
        end as failed_check
    from renamed

),

deduplicated as (

    {{ keep_latest_per_key('checked', ['total_date', 'transaction_type']) }}

)

select * from deduplicated
