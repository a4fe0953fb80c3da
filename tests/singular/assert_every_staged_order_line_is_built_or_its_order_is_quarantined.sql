{{ config(meta={'dagster': {'ref': {'name': 'fct_order_lines'}}}) }}
-- Nothing is lost between staging and the order facts: every staged order line is in fct_order_lines,
-- unless its order was quarantined (then the order's quarantine row says why). It checks the lines the newest
-- build staged (every line after a full build; lines staged earlier were built then, and the fact never drops a
-- line).
with all_staged_lines as (

    select * from {{ ref('stg_shop__order_lines') }}

),

staged_lines as (

    select *
    from all_staged_lines
    where staged_at = {{ newest_written(ref('stg_shop__order_lines'), 'staged_at') }}

),

built_lines as (

    select order_line_id from {{ ref('fct_order_lines') }}

),

quarantined_orders as (

    select row_key as order_id
    from {{ ref('stg_shop__quarantined_rows') }}
    where source_table = 'orders' and row_key is not null

)

select staged_lines.order_line_id
from staged_lines
left join built_lines
    on staged_lines.order_line_id = built_lines.order_line_id
where
    built_lines.order_line_id is null
    and staged_lines.order_id not in (select quarantined_orders.order_id from quarantined_orders)
