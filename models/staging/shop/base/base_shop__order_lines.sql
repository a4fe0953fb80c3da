-- Every raw order line, checked. A missing discount is no discount (0); a unit price of 0 is a free item and
-- stages (its units count); `line_amount` (optional in the contract) is the line total the shop charged.
-- A line whose order exists but was quarantined is quarantined too (parent_quarantined), so the line is
-- counted once, in the quarantine, instead of vanishing from the facts.
-- Incremental: each run reads only the landed files no row came from yet (`landed_file`), and re-checks, with
-- every row of their keys, the rows whose outcome later data or time can change: a new row's key (it may win
-- or lose against the staged row), future_timestamp (the clock passes it), orphan_reference (its order or
-- product can land) and parent_quarantined (its order can gain a staged row). A reference once found stays
-- found and an order once staged keeps a staged row (base_shop__orders), so a line that passed them keeps
-- passing; every other check reads the row alone. Rows of those keys are replaced (delete+insert on row_key),
-- so the table equals a full build.
{%- set reevaluated_reasons = ['future_timestamp', 'orphan_reference', 'parent_quarantined'] -%}
{%- set dependent_checks = ['orphan_reference', 'parent_quarantined'] -%}
{%- set checked_from = 'candidates' if is_incremental() else 'renamed' -%}
{%- set checked_orders = 'referenced_orders' if is_incremental() else 'orders' -%}
{%- set landed = source('shop', 'order_lines') -%}
{%- set files = incremental_base_files(landed, 'shop', 'order_lines', 'order_line_id', reevaluated_reasons) %}
with source as (

    {{ incremental_base_source(landed, files) }}

),

orders as (

    select * from {{ ref('base_shop__orders') }}

),

known_products as (

    -- every landed products row is in its base model, cleaned as here, so a reference is known when any landed
    -- row has the id (quarantined or not)
    select distinct product_id
    from {{ ref('base_shop__products') }}
    where product_id is not null

),

renamed as (

    select
        {{ clean_text('order_line_id') }} as order_line_id,
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('product_id') }} as product_id,
        {{ safe_number('quantity', 'integer') }} as quantity,
        {{ safe_number('unit_price', 'double') }} as unit_price,
        case
            when discount_amount is null then 0
            else {{ safe_number('discount_amount', 'decimal(18, 4)') }}
        end as discount_amount,
        {{ safe_number('line_amount', 'decimal(18, 4)') }} as line_amount,
        {{ to_utc_timestamp('loaded_at') }} as loaded_at,
        landed_file,
        source_struct,
        {{ row_hash('source_struct') }} as source_row_hash
    from source

),
{{ incremental_base_candidates('order_line_id', reevaluated_reasons) }}
{%- if is_incremental() %}

    referenced_orders as (

        -- the orders the candidate lines name: a line is checked against its own order only, so the run looks
        -- up a few thousand orders instead of hashing every staged one
        select
            orders.order_id,
            orders.quarantine_reason
        from orders
        where orders.order_id in (select candidates.order_id from candidates)

    ),
{%- endif %}

checked as (

    select
        *,
        {{ row_key(['order_line_id']) }} as row_key,
        case
            {{- incremental_base_kept_check(dependent_checks) }}
            when order_line_id is null then 'missing_key'
            when quantity is null or quantity <= 0 then 'invalid_quantity'
            when
                unit_price is null
                or unit_price < 0
                or discount_amount is null
                or discount_amount < 0
                or {{ is_unusable_number('line_amount') }}
                or line_amount < 0
                then 'invalid_amount'
            when
                order_id is not null
                and {{ not_among(
                    'order_id', checked_from ~ '.order_id', checked_orders ~ ' as orders', 'orders.order_id',
                    'orders.order_id is not null'
                ) }}
                then 'orphan_reference'
            when
                product_id is not null
                and {{ not_among(
                    'product_id', checked_from ~ '.product_id', 'known_products', 'known_products.product_id'
                ) }}
                then 'orphan_reference'
            when
                order_id is not null
                and {{ not_among(
                    'order_id', checked_from ~ '.order_id', checked_orders ~ ' as orders', 'orders.order_id',
                    'orders.quarantine_reason is null'
                ) }}
                then 'parent_quarantined'
        end as failed_check
    from {{ checked_from }}

),

deduplicated as (

    {{ keep_latest_per_key('checked', ['order_line_id'], 'landed_file') }}

)
{{ incremental_base_final(landed, 'order_line_id', files) }}
