with checked as (

    select * from {{ ref('base_shop__order_lines') }}

),

staged as (

    select
        order_line_id,
        order_id,
        product_id,
        quantity,
        unit_price,
        discount_amount,
        line_amount,
        loaded_at,
        staged_at
    from checked
    where quarantine_reason is null

)

select * from staged
