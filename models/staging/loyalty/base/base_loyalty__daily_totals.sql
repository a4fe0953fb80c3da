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
        cast(transaction_count as integer) as transaction_count,
        cast(amount_total as decimal(18, 4)) as amount_total,
        cast(points_total as integer) as points_total,
        {{ to_utc_timestamp('loaded_at') }} as loaded_at,
        source as source_struct,
        hash(source) as source_row_hash
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
            when
                transaction_type is null
                or transaction_type not in (
                    select accepted_codes.code from accepted_codes
                    where accepted_codes.code_set = 'transaction_type'
                )
                then 'invalid_code'
        end as failed_check
    from renamed

),

deduplicated as (

    {{ keep_latest_per_key('checked', ['total_date', 'transaction_type']) }}

)

select * from deduplicated
