{% macro incremental_cutoff(loaded_at_column='loaded_at') -%}
    {#-
        On an incremental run: the loaded_at from which rows are reprocessed — the newest loaded_at already
        in the target minus the `incremental_lookback_days` var, so rows that land a little out of order are
        still picked up. On a full build: a timestamp before any data.
    -#}
    {%- if is_incremental() -%}
        (
            select {{ dbt.dateadd('day', -1 * var('incremental_lookback_days'), 'max(' ~ loaded_at_column ~ ')') }}
            from {{ this }}
        )
    {%- else -%}
        cast('1900-01-01' as timestamp)
    {%- endif -%}
{%- endmacro %}
