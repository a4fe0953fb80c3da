{% macro as_of_date() -%}
    {#-
        The date customer reports are computed as of: the `as_of_date` var when set (e.g.
        --vars '{as_of_date: 2026-06-30}' to rebuild history), else the last order day in fct_orders.
    -#}
    {%- if var('as_of_date', none) -%}
        cast('{{ var("as_of_date") }}' as date)
    {%- else -%}
        (select max(fct_orders.order_date) from {{ ref('fct_orders') }} as fct_orders)
    {%- endif -%}
{%- endmacro %}
