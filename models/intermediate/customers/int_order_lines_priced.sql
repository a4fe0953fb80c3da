{{ config(materialized='view') }}

-- One row per staged order line with its order's facts (customer, dealer, day, currency) and its amounts in the
-- order's currency: the gross amount is the source's line total when it sent one, else quantity × unit price at
-- full precision rounded once to the currency's minor unit (macro line_gross_amount); the net amount is gross less
-- the line's discount. A view: each reader plans it with its own filter (fct_order_lines reads only the lines of
-- the orders it rebuilds), and two readers in one query scan it twice instead of sharing a materialised copy.

with order_lines as (

    select * from {{ ref('stg_shop__order_lines') }}

),

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

currencies as (

    select * from {{ ref('currencies') }}

),

final as (

    select
        order_lines.order_line_id,
        order_lines.order_id,
        order_lines.product_id,
        order_lines.quantity,
        order_lines.unit_price,
        order_lines.discount_amount,
        {{ line_gross_amount(
            'order_lines.quantity', 'order_lines.unit_price', 'order_lines.line_amount', 'currencies.minor_units'
        ) }} as gross_amount,
        {{ line_gross_amount(
            'order_lines.quantity', 'order_lines.unit_price', 'order_lines.line_amount', 'currencies.minor_units'
        ) }} - order_lines.discount_amount as net_amount,
        orders.customer_id as shop_customer_id,
        orders.dealer_id,
        orders.placed_at,
        cast(orders.placed_at as date) as order_date,
        orders.currency_code,
        greatest(orders.loaded_at, order_lines.loaded_at) as loaded_at,
        greatest(orders.staged_at, order_lines.staged_at) as staged_at
    from order_lines
    inner join orders
        on order_lines.order_id = orders.order_id
    inner join currencies
        on orders.currency_code = currencies.currency_code

)

select * from final
