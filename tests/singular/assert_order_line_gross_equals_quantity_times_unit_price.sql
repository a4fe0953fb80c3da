-- Line by line, gross = quantity × unit price, net = gross − discount, and the reporting amounts are the
-- order-currency amounts at the line's rate (wholesale lines are where warehouses double-count).
select
    order_line_id,
    quantity,
    unit_price,
    gross_amount,
    net_amount,
    gross_amount_reporting
from {{ ref('fct_order_lines') }}
where
    gross_amount != quantity * unit_price
    or net_amount != gross_amount - discount_amount
    or abs(gross_amount_reporting - gross_amount * fx_rate_to_reporting) > 0.0001
