{% macro balance_reflected_at_zero(running_sum, history_window) -%}
    {#-
        A balance that never goes below zero, from the running sum of what moved it (`running_sum`): the running
        sum less the lowest it has been, where it went below zero (a deduction beyond the balance takes only what
        is there). `history_window` names the model's window over the holder's entries, in order, with the frame
        `rows between unbounded preceding and current row`. For the balance before each entry, pass the running
        sum before it (0 before the first entry).
    -#}
    {{ running_sum }} - least(0, min({{ running_sum }}) over {{ history_window }})
{%- endmacro %}
