{% macro safe_number(column_name, data_type='double') -%}
    {#-
        A raw numeric value typed as `data_type`, or null when it cannot be trusted: NaN, +/-Infinity, text
        that is not a number, a magnitude of `max_abs_number` (var) or more, or a value outside `data_type`'s
        range (e.g. 3,000,000,000 for an integer, 1e20 for decimal(18, 4)). A check then compares the raw
        value with this one (`source_struct.<column> is not null and <column> is null`) and quarantines the
        row (`invalid_amount` / `invalid_quantity`) instead of letting a cast stop the whole build.
    -#}
    {{ return(adapter.dispatch('safe_number', 'relationship_warehouse')(column_name, data_type)) }}
{%- endmacro %}

{% macro default__safe_number(column_name, data_type) -%}
    case
        when
            isfinite(try_cast({{ column_name }} as double))
            and abs(try_cast({{ column_name }} as double)) < {{ var('max_abs_number') }}
            then try_cast({{ column_name }} as {{ data_type }})
    end
{%- endmacro %}

{% macro spark__safe_number(column_name, data_type) -%}
    case
        when
            try_cast({{ column_name }} as double) not in (double('NaN'), double('Infinity'), double('-Infinity'))
            and abs(try_cast({{ column_name }} as double)) < {{ var('max_abs_number') }}
            then try_cast({{ column_name }} as {{ data_type }})
    end
{%- endmacro %}
