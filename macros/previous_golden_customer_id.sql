{% macro previous_golden_customer_id(built, golden_customer_id) -%}
    {#- For an incremental model that writes a row again (delete+insert on its key) and keeps the golden customer the
        row had before it moved to another one: `built` is the alias of the row as built (null columns when the row
        is new), `golden_customer_id` the expression of the golden customer it gets now. The row's golden customer
        as built when it changes, else the previous one the built row carried (null for a new row). -#}
    case
        -- written again with another golden customer: the one it had is the previous
        when coalesce({{ built }}.golden_customer_id, '') != coalesce({{ golden_customer_id }}, '')
            then {{ built }}.golden_customer_id
        else {{ built }}.previous_golden_customer_id
    end
{%- endmacro %}
