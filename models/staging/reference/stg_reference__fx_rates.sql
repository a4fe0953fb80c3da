with checked as (

    select * from {{ ref('base_reference__fx_rates') }}

),

staged as (

    select
        rate_date,
        currency_code,
        rate_to_usd,
        loaded_at
    from checked
    where quarantine_reason is null

)

select * from staged
