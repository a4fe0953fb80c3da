{% macro quarantined_rows(source_system, base_models) -%}
    {#- The quarantined rows of one source system: every base model's rows that carry a reason. -#}
    {%- for base_model in base_models %}
    select
        '{{ source_system }}' as source_system,
        '{{ base_model.split("__")[1] }}' as source_table,
        row_key,
        quarantine_reason,
        loaded_at,
        source_row
    from {{ ref(base_model) }}
    where quarantine_reason is not null
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
