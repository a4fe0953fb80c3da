{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='order_id',
        on_schema_change='fail'
    )
}}

-- One row per staged order: who placed it (golden customer), when, through which channel and offer, and
-- its gross, discount, refund and net amounts summed from fct_order_lines, and its place in the customer's orders
-- (number, day of the previous order). Incremental: each run computes the orders the changed_order_ids macro names
-- from their header and lines, numbers them with every other order of their customers (and of the customer a
-- re-matched order left), those taken as built, and writes the orders from each customer's earliest change on (the
-- earlier ones keep their numbers): a late-arriving earlier order moves `is_first_order`, a new order of the day
-- is written alone. Every row a run writes carries `computed_at` (the build's start), so customer-level models
-- downstream find the customers whose orders were written since they ran.

with orders as (

    select * from {{ ref('stg_shop__orders') }}

),

campaigns as (

    select * from {{ ref('stg_marketing__campaigns') }}

),

built_lines as (

    select * from {{ ref('fct_order_lines') }}

),

-- read on incremental runs only: the lines of changed orders fct_order_lines did not write since this model last ran
built_lines_not_written_since as ( -- noqa: ST03

    select * from {{ ref('fct_order_lines') }}

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

-- read on incremental runs only (a full build computes every order)
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

changed_orders_resolved as (

    select
        orders.*,
        customer_ids.golden_customer_id,
        customer_ids.is_crosswalk_resolved
    from orders
    left join customer_ids
        on orders.customer_id = customer_ids.source_customer_id
    {%- if is_incremental() %}
        where orders.order_id in (select changed_orders.order_id from changed_orders)
    {%- endif %}

),

first_order_codes as (

    select distinct discount_code
    from campaigns
    where campaign_type = 'first_order_discount' and discount_code is not null

),

{%- if is_incremental() %}

    lines_written_since as (

        -- fct_order_lines writes every line of an order it rebuilds, and it rebuilds the orders that changed since
        -- it last ran (it runs before this model): the lines of the changed orders are those it wrote since this
        -- model last ran, read from the row groups written since
        select built_lines.*
        from built_lines
        where
            built_lines.computed_at > {{ last_computed_at() }}
            and built_lines.order_id in (select changed_orders.order_id from changed_orders)

    ),

    lines_of_changed_orders as (

        select * from lines_written_since

        union all

        -- a changed order none of whose lines was written since (usually none, so nothing more is read)
        select built_lines_not_written_since.*
        from built_lines_not_written_since
        where built_lines_not_written_since.order_id in (
            select changed_orders.order_id
            from changed_orders
            where changed_orders.order_id not in (
                select lines_written_since.order_id
                from lines_written_since
                where lines_written_since.order_id is not null
            )
        )

    ),
{%- else %}

    lines_of_changed_orders as (

        select * from built_lines

    ),
{%- endif %}

line_totals as (

    select
        order_id,
        count(*) as line_count,
        sum(quantity) as units,
        sum(gross_amount) as gross_amount,
        sum(discount_amount) as discount_amount,
        sum(net_amount) as net_amount,
        sum(refunded_amount) as refunded_amount,
        sum(gross_amount_reporting) as gross_amount_reporting,
        sum(discount_amount_reporting) as discount_amount_reporting,
        sum(net_amount_reporting) as net_amount_reporting,
        sum(refunded_amount_reporting) as refunded_amount_reporting,
        max(loaded_at) as lines_loaded_at,
        max(staged_at) as lines_staged_at
    from lines_of_changed_orders
    group by order_id

),

changed_orders_built as (

    -- the changed orders (every order on a full build), computed from their header and lines; the columns in the
    -- order of the contract, as kept_orders_built takes them from the table
    select
        orders.order_id,
        orders.golden_customer_id,
        orders.customer_id as shop_customer_id,
        orders.is_crosswalk_resolved,
        orders.placed_at,
        cast(orders.placed_at as date) as order_date,
        orders.currency_code,
        orders.sales_channel,
        orders.acquisition_channel,
        orders.discount_code,
        orders.dealer_id,
        coalesce(line_totals.line_count, 0) as line_count,
        cast(coalesce(line_totals.units, 0) as bigint) as units,
        {{ to_decimal("coalesce(line_totals.gross_amount, 0)", 18, 4) }} as gross_amount,
        {{ to_decimal("coalesce(line_totals.discount_amount, 0)", 18, 4) }} as discount_amount,
        {{ to_decimal("coalesce(line_totals.net_amount, 0)", 18, 4) }} as net_amount,
        {{ to_decimal("coalesce(line_totals.refunded_amount, 0)", 18, 4) }} as refunded_amount,
        cast(order_fx.rate_to_reporting as double) as fx_rate_to_reporting,
        {{ to_decimal("coalesce(line_totals.gross_amount_reporting, 0)", 18, 4) }} as gross_amount_reporting,
        {{ to_decimal("coalesce(line_totals.discount_amount_reporting, 0)", 18, 4) }} as discount_amount_reporting,
        {{ to_decimal("coalesce(line_totals.net_amount_reporting, 0)", 18, 4) }} as net_amount_reporting,
        {{ to_decimal("coalesce(line_totals.refunded_amount_reporting, 0)", 18, 4) }} as refunded_amount_reporting,
        {{ to_decimal("
            coalesce(line_totals.net_amount_reporting, 0) - coalesce(line_totals.refunded_amount_reporting, 0)",
            18, 4
        ) }} as net_amount_after_refunds_reporting,
        greatest(orders.loaded_at, coalesce(line_totals.lines_loaded_at, orders.loaded_at)) as loaded_at,
        greatest(orders.staged_at, coalesce(line_totals.lines_staged_at, orders.staged_at)) as staged_at
    from changed_orders_resolved as orders
    left join line_totals
        on orders.order_id = line_totals.order_id
    left join fx_rates as order_fx
        on
            cast(orders.placed_at as date) = order_fx.rate_date
            and orders.currency_code = order_fx.currency_code

),
{%- if is_incremental() %}

    affected_customers as (

        select changed_orders_built.golden_customer_id
        from changed_orders_built

        union

        -- the customer a changed order belonged to before (MDM re-matched its account): its other orders are
        -- numbered again
        select built.golden_customer_id
        from {{ this }} as built
        where built.order_id in (select changed_orders.order_id from changed_orders)

    ),

    kept_orders_built as (

        -- the other orders of those customers, as built: nothing they are computed from changed (else
        -- changed_order_ids names them), only their place among the customer's orders may
        select
            {{ star_except([
                'customer_order_number',
                'is_first_order',
                'used_first_order_discount',
                'previous_order_date',
                'computed_at',
            ]) }}
        from {{ this }} as built
        where
            built.golden_customer_id in (select affected_customers.golden_customer_id from affected_customers)
            and built.order_id not in (select changed_orders.order_id from changed_orders)

    ),

    renumbered_from as (

        -- per customer, the earliest place a changed order takes now or held before (MDM re-matched its
        -- account, a corrected time moved it): the customer's orders placed before it keep their numbers
        select
            changes.golden_customer_id,
            min(changes.placed_at) as placed_at
        from (
            select
                changed_orders_built.golden_customer_id,
                changed_orders_built.placed_at
            from changed_orders_built

            union all

            select
                built.golden_customer_id,
                built.placed_at
            from {{ this }} as built
            where built.order_id in (select changed_orders.order_id from changed_orders)
        ) as changes
        group by changes.golden_customer_id

    ),
{%- endif %}

orders_built as (

    select * from changed_orders_built
    {%- if is_incremental() %}
        union all
        select * from kept_orders_built
    {%- endif %}

),

numbered as (

    select
        orders_built.*,
        row_number() over customer_orders_in_time as customer_order_number,
        lag(orders_built.order_date) over customer_orders_in_time as previous_order_date
    from orders_built
    window
        customer_orders_in_time as (
            partition by orders_built.golden_customer_id
            order by orders_built.placed_at, orders_built.order_id
        )

),

{%- if is_incremental() %}

    numbered_to_write as (

        -- the orders placed before their customer's earliest change keep the numbers they have and are not
        -- written again (a new day's order is written alone)
        select numbered.*
        from numbered
        left join renumbered_from
            on numbered.golden_customer_id = renumbered_from.golden_customer_id
        where renumbered_from.placed_at is null or numbered.placed_at >= renumbered_from.placed_at

    ),
{%- else %}

    numbered_to_write as (

        select * from numbered

    ),
{%- endif %}

final as (

    select
        numbered.order_id,
        numbered.golden_customer_id,
        numbered.shop_customer_id,
        numbered.is_crosswalk_resolved,
        numbered.placed_at,
        numbered.order_date,
        numbered.currency_code,
        numbered.sales_channel,
        numbered.acquisition_channel,
        numbered.discount_code,
        numbered.dealer_id,
        numbered.line_count,
        numbered.units,
        numbered.gross_amount,
        numbered.discount_amount,
        numbered.net_amount,
        numbered.refunded_amount,
        numbered.fx_rate_to_reporting,
        numbered.gross_amount_reporting,
        numbered.discount_amount_reporting,
        numbered.net_amount_reporting,
        numbered.refunded_amount_reporting,
        numbered.net_amount_after_refunds_reporting,
        numbered.customer_order_number,
        numbered.customer_order_number = 1 as is_first_order,
        coalesce(
            numbered.customer_order_number = 1
            and numbered.discount_code in (select first_order_codes.discount_code from first_order_codes),
            false
        ) as used_first_order_discount,
        numbered.previous_order_date,
        numbered.loaded_at,
        numbered.staged_at,
        {{ build_started_at() }} as computed_at
    from numbered_to_write as numbered

)

select * from final
