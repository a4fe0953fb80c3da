{% macro is_unaccepted_code(codes_relation, code_set, code_column, allow_null=false) -%}
    {#-
        True when `code_column` is not one of the codes `codes_relation` (the accepted_codes seed, passed in by
        the model from its import CTE so its lineage stays visible) lists for `code_set`; staging quarantines
        such rows as `invalid_code`. A null code fails too, unless `allow_null` (an optional code): then the
        comparison is null and the check does not fire.
    -#}
    ({% if not allow_null %}{{ code_column }} is null or {% endif %}{{ code_column }} not in (
        select {{ codes_relation }}.code from {{ codes_relation }}
        where {{ codes_relation }}.code_set = '{{ code_set }}'
    ))
{%- endmacro %}
