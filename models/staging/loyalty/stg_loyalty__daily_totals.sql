with checked as (

    select * from {{ ref('base_loyalty__daily_totals') }}

),

staged as (

    select
        total_date,
        transaction_type,
        transaction_count,
        amount_total,
        points_total,
        loaded_at
    from checked
    where quarantine_reason is null

)

select * from staged
