with checked as (

    select * from {{ ref('base_service__after_sales_tickets') }}

),

staged as (

    select
        ticket_id,
        order_line_id,
        customer_id,
        dealer_id,
        complaint_type,
        escalated_to,
        resolution,
        compensation_amount,
        currency_code,
        opened_at,
        closed_at,
        loaded_at
    from checked
    where quarantine_reason is null

)

select * from staged
