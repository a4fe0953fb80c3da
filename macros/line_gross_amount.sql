{% macro line_gross_amount(quantity, unit_price, line_amount, minor_units) -%}
    {#-
        What a line charged before its discount, exact to the currency's minor unit: the source's own line total
        (`line_amount`, optional in the contract) when it sent one, else quantity × unit price at full precision
        (the unit price is never rounded first), rounded once to `minor_units` decimals.
    -#}
    coalesce(
        {{ line_amount }},
        cast({{ round_double(quantity ~ " * " ~ unit_price, minor_units) }} as decimal(18, 4))
    )
{%- endmacro %}
