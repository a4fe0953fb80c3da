{% macro quarantined_rows(source_system, source_tables) -%}
    {#-
        The quarantined rows of one source system: every base model's rows that carry a reason. `source_tables` names
        the calling model's import CTEs, one per base model, each named after its source table.
    -#}
    {%- for source_table in source_tables %}
    select
        '{{ source_system }}' as source_system,
        '{{ source_table }}' as source_table,
        {{ source_table }}.row_key,
        {{ source_table }}.quarantine_reason,
        {{ source_table }}.loaded_at,
        {{ source_table }}.source_row
    from {{ source_table }}
    where {{ source_table }}.quarantine_reason is not null
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
