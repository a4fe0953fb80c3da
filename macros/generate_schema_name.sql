{% macro generate_schema_name(custom_schema_name, node) -%}
    {#- Layers land in their own schema (staging, intermediate, marts, reference), without a target prefix. -#}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
