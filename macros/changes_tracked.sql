{% macro changes_tracked(current, key_columns, value_columns) -%}
    {#-
        The select of a model that records, per key, the build that first saw its current values (`changed_at`), for
        the incremental models that take what changed since they last ran (int_fx_rates_tracked,
        int_customer_ids_tracked; delete+insert on the key columns). On a full build: every row of `current` (the
        calling model's import CTE), changed now. On an incremental run: the keys whose values differ from those
        the model holds, null-safe — new keys, changed values, and keys `current` no longer holds, which stay with
        null values (their disappearance is a change too; once recorded they are not written again). Keys that kept
        their values are not written, so they keep their changed_at.
    -#}
    {%- if is_incremental() %}
    select
        {%- for column in key_columns %}
        coalesce({{ current }}.{{ column }}, built.{{ column }}) as {{ column }},
        {%- endfor %}
        {%- for column in value_columns %}
        {{ current }}.{{ column }},
        {%- endfor %}
        {{ build_started_at() }} as changed_at
    from {{ current }}
    full outer join {{ this }} as built
        on
        {%- for column in key_columns %}
            {{ 'and ' if not loop.first }}{{ current }}.{{ column }} = built.{{ column }}
        {%- endfor %}
    where
        built.{{ key_columns[0] }} is null
        {%- for column in value_columns %}
        or not coalesce(
            {{ current }}.{{ column }} = built.{{ column }},
            {{ current }}.{{ column }} is null and built.{{ column }} is null
        )
        {%- endfor %}
    {%- else %}
    select
        {%- for column in key_columns + value_columns %}
        {{ column }},
        {%- endfor %}
        {{ build_started_at() }} as changed_at
    from {{ current }}
    {%- endif %}
{%- endmacro %}
