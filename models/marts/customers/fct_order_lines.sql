{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='order_line_id',
        on_schema_change='fail'
    )
}}

-- One row per order line of a staged order, with gross, discount, refund and net amounts in the order's
-- currency and in the reporting currency. Incremental: each run rebuilds the lines of every order the
-- changed_order_ids macro names (new or corrected rows, newly matched customers, new rates or products).
-- Refunds come converted at the rate of their day (int_refunds_converted); order-level refunds are spread over
-- the order's lines in proportion to their net amount. The gross amount is the source's line total when it sent
-- one, else quantity × unit price at full precision rounded once to the currency's minor unit (macro
-- line_gross_amount); the unit price column shows the price to 4 decimals. A full build reads every line and
-- refund without filtering by the changed orders (all of them). The lines are priced here, not in an intermediate
-- view: an incremental run must select the changed orders' lines before joining them to their orders (filtering
-- a view of 60 million priced lines instead made the large new-day select five times slower).

with orders as (

    select * from {{ ref('stg_shop__orders') }}

),

order_lines as (

    select * from {{ ref('stg_shop__order_lines') }}

),

refunds as (

    select * from {{ ref('int_refunds_converted') }}

),

-- the lines and orders again, for the order totals that share whole-order refunds: each big input is read by one
-- CTE only, so the engine streams it instead of holding a copy of it in memory
order_lines_to_total as (

    select * from {{ ref('stg_shop__order_lines') }}

),

orders_to_total as (

    select * from {{ ref('stg_shop__orders') }}

),

products as (

    select * from {{ ref('stg_shop__products') }}

),

currencies as (

    select * from {{ ref('currencies') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled') }}

),

customer_ids as (

    select * from {{ ref('int_customer_ids_resolved') }}
    where source_system = 'shop'

),

-- what changed_order_ids compares with what this model holds, each input read by it alone so the engine streams it
-- (on a full build only the orders are read)
orders_for_changes as (

    select * from {{ ref('stg_shop__orders') }}

),

order_lines_for_changes as ( -- noqa: ST03

    select * from {{ ref('stg_shop__order_lines') }}

),

refunds_for_changes as ( -- noqa: ST03

    select * from {{ ref('stg_shop__refunds') }}

),

fx_rates_for_changes as ( -- noqa: ST03

    select * from {{ ref('int_fx_rates_tracked') }}

),

customer_ids_for_changes as ( -- noqa: ST03

    select * from {{ ref('int_customer_ids_tracked') }}

),

products_for_changes as ( -- noqa: ST03

    select * from {{ ref('stg_shop__products') }}

),

campaigns_for_changes as ( -- noqa: ST03

    select * from {{ ref('stg_marketing__campaigns') }}

),

-- read on incremental runs only (a full build takes every line)
changed_orders as ( -- noqa: ST03

    {{ changed_order_ids(
        'orders_for_changes',
        'order_lines_for_changes',
        'refunds_for_changes',
        'fx_rates_for_changes',
        'customer_ids_for_changes',
        'products_for_changes',
        'campaigns_for_changes',
    ) }}

),

lines_of_changed_orders as (

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
    {% if is_incremental() %}
        where order_lines.order_id in (select changed_orders.order_id from changed_orders)
    {% endif %}

),


refunds_of_changed_orders as (

    select * from refunds
    {% if is_incremental() %}
        where refunds.order_id in (select changed_orders.order_id from changed_orders)
    {% endif %}

),

line_refunds as (

    -- Refunds of one line go to that line.
    select
        order_line_id,
        sum(refund_amount_reporting) as refunded_amount_reporting,
        sum(refund_amount) as refunded_amount,
        max(loaded_at) as refunds_loaded_at,
        max(staged_at) as refunds_staged_at
    from refunds_of_changed_orders
    where order_line_id is not null
    group by order_line_id

),

order_refunds as (

    -- Refunds of a whole order are shared by its lines in proportion to their net amount.
    select
        order_id,
        sum(refund_amount_reporting) as refunded_amount_reporting,
        sum(refund_amount) as refunded_amount,
        max(loaded_at) as refunds_loaded_at,
        max(staged_at) as refunds_staged_at
    from refunds_of_changed_orders
    where order_line_id is null
    group by order_id

),

order_net_totals as (

    -- the net amount over which an order's whole-order refunds are shared (only orders with such refunds)
    select
        order_lines_to_total.order_id,
        sum(
            {{ line_gross_amount(
                'order_lines_to_total.quantity',
                'order_lines_to_total.unit_price',
                'order_lines_to_total.line_amount',
                'currencies.minor_units'
            ) }} - order_lines_to_total.discount_amount
        ) as order_net_amount
    from order_lines_to_total
    inner join orders_to_total
        on order_lines_to_total.order_id = orders_to_total.order_id
    inner join currencies
        on orders_to_total.currency_code = currencies.currency_code
    where order_lines_to_total.order_id in (select order_refunds.order_id from order_refunds)
    group by order_lines_to_total.order_id

),

lines_refunded as (

    select
        changed_lines.*,
        coalesce(line_refunds.refunded_amount_reporting, 0)
        + coalesce(
            order_refunds.refunded_amount_reporting * changed_lines.net_amount / nullif(totals.order_net_amount, 0), 0
        ) as refunded_amount_reporting,
        coalesce(line_refunds.refunded_amount, 0)
        + coalesce(
            order_refunds.refunded_amount * changed_lines.net_amount / nullif(totals.order_net_amount, 0), 0
        ) as refunded_amount,
        greatest(
            coalesce(line_refunds.refunds_loaded_at, order_refunds.refunds_loaded_at),
            coalesce(order_refunds.refunds_loaded_at, line_refunds.refunds_loaded_at)
        ) as refunds_loaded_at,
        greatest(
            coalesce(line_refunds.refunds_staged_at, order_refunds.refunds_staged_at),
            coalesce(order_refunds.refunds_staged_at, line_refunds.refunds_staged_at)
        ) as refunds_staged_at
    from lines_of_changed_orders as changed_lines
    left join line_refunds
        on changed_lines.order_line_id = line_refunds.order_line_id
    left join order_refunds
        on changed_lines.order_id = order_refunds.order_id
    left join order_net_totals as totals
        on changed_lines.order_id = totals.order_id

),

final as (

    select
        changed_lines.order_line_id,
        changed_lines.order_id,
        customer_ids.golden_customer_id,
        changed_lines.shop_customer_id,
        changed_lines.product_id,
        products.category as product_category,
        coalesce(products.is_own_brand, false) as is_own_brand,
        changed_lines.dealer_id,
        changed_lines.placed_at,
        changed_lines.order_date,
        changed_lines.currency_code,
        changed_lines.quantity,
        {{ to_decimal("changed_lines.unit_price", 18, 4) }} as unit_price,
        {{ to_decimal("changed_lines.gross_amount", 18, 4) }} as gross_amount,
        {{ to_decimal("changed_lines.discount_amount", 18, 4) }} as discount_amount,
        {{ to_decimal("changed_lines.net_amount", 18, 4) }} as net_amount,
        {{ to_decimal("changed_lines.refunded_amount", 18, 4) }} as refunded_amount,
        cast(order_fx.rate_to_reporting as double) as fx_rate_to_reporting,
        {{ to_decimal("changed_lines.gross_amount * order_fx.rate_to_reporting", 18, 4) }} as gross_amount_reporting,
        {{ to_decimal(
            "changed_lines.discount_amount * order_fx.rate_to_reporting", 18, 4
        ) }} as discount_amount_reporting,
        {{ to_decimal("changed_lines.net_amount * order_fx.rate_to_reporting", 18, 4) }} as net_amount_reporting,
        {{ to_decimal("changed_lines.refunded_amount_reporting", 18, 4) }} as refunded_amount_reporting,
        {{ to_decimal(
            "changed_lines.net_amount * order_fx.rate_to_reporting - changed_lines.refunded_amount_reporting", 18, 4
        ) }} as net_amount_after_refunds_reporting,
        greatest(
            changed_lines.loaded_at,
            coalesce(changed_lines.refunds_loaded_at, changed_lines.loaded_at)
        ) as loaded_at,
        greatest(
            changed_lines.staged_at,
            coalesce(changed_lines.refunds_staged_at, changed_lines.staged_at)
        ) as staged_at,
        {{ build_started_at() }} as computed_at
    from lines_refunded as changed_lines
    left join products
        on changed_lines.product_id = products.product_id
    left join customer_ids
        on changed_lines.shop_customer_id = customer_ids.source_customer_id
    left join fx_rates as order_fx
        on
            changed_lines.order_date = order_fx.rate_date
            and changed_lines.currency_code = order_fx.currency_code

)

select * from final
