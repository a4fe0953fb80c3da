{% macro capped_cumulative_take(amount, cap, history_window) -%}
    {#-
        The part of `amount` an entry may take back when all entries of its history together may take back at
        most `cap` (null counts as 0): what the running sum through the entry reaches of the cap, less what the
        running sum before it had already reached. Entries past the cap take nothing; the one that crosses it
        takes the rest. `history_window` names the model's window over the entries sharing the cap, in order,
        with the frame `rows between unbounded preceding and current row`; `amount` is never null.
    -#}
    least(sum({{ amount }}) over {{ history_window }}, coalesce({{ cap }}, 0))
    - least(sum({{ amount }}) over {{ history_window }} - ({{ amount }}), coalesce({{ cap }}, 0))
{%- endmacro %}
