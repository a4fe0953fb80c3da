-- One row: the date customer figures are computed as of. The `as_of_date` var when set (e.g.
-- --vars '{as_of_date: 2026-06-30}' to rebuild history), else the last day with an order (UTC): every staged order
-- is an order of fct_orders, whose order_date is the same day. Marts read this model for their as-of date, so the
-- dependency is visible in each of them.
with orders as (

    select * from {{ ref('stg_shop__orders') }}

),

final as (

    select
        {% if var('as_of_date', none) -%}
            cast('{{ var("as_of_date") }}' as date)
        {%- else -%}
            max(cast(orders.placed_at as date))
        {%- endif %} as as_of_date,
        max(cast(orders.placed_at as date)) as last_order_date,
        {{ "true" if var('as_of_date', none) else "false" }} as is_as_of_date_set
    from orders

)

select * from final
