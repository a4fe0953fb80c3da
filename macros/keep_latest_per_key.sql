{% macro keep_latest_per_key(relation, key_columns, file_column=none) -%}
    {#-
        Adds `quarantine_reason` to a checked relation: `missing_key` first; then `future_timestamp` when the
        row's `loaded_at` is later than the build's start (`build_started_at`: such a row cannot have landed yet,
        and must never move an incremental cutoff); then the reason of the model's first failed check
        (`failed_check`); else
        `duplicate_key` for every valid row that shares its key with a later-loaded valid row (identical copies
        keep one). Ties on loaded_at are broken by a hash of the
        raw row (`source_row_hash`) so the kept row does not depend on file order, and between identical copies
        by the file they came from (`file_column`, when the relation records it). With a single key column (on DuckDB) only
        the valid rows of keys that more than one valid row shares go through the ranking window. The raw row
        (`source_struct`) is kept as JSON (`source_row`) for quarantined rows only, so staged rows cost
        nothing to store.
    -#}
    {%- set rank_over_key -%}
        case
            when row_check is not null then row_check
            when row_number() over (
                partition by {{ key_columns | join(', ') }}, row_check is null
                order by loaded_at desc, source_row_hash desc{% if file_column %}, {{ file_column }} desc{% endif %}
            ) > 1 then 'duplicate_key'
        end
    {%- endset %}
    with with_row_check as (

        select
            *,
            case
                when failed_check = 'missing_key' then failed_check
                when loaded_at > {{ build_started_at() }} then 'future_timestamp'
                else failed_check
            end as row_check
        from {{ relation }}

    ),
    {#- Spark keeps the single window: Spark 4.3's local session cannot run a union over literal rows (the unit tests'
        fixtures; ClassCastException into UnionExec.children), and the two forms give the same rows. #}
    {%- if key_columns | length == 1 and target.type != 'spark' %}
    {%- set key = key_columns[0] %}

    -- the keys more than one valid row shares: only their valid rows go through the ranking window (a sort of
    -- every row with its raw struct spills to disk on a large table; duplicates are a handful of rows)
    repeated_keys as (

        select with_row_check.{{ key }}
        from with_row_check
        where with_row_check.row_check is null and with_row_check.{{ key }} is not null
        group by with_row_check.{{ key }}
        having count(*) > 1

    ),

    ranked as (

        select
            *,
            row_check as quarantine_reason
        from with_row_check
        where
            row_check is not null
            or {{ key }} is null
            or {{ key }} not in (select repeated_keys.{{ key }} from repeated_keys)
        union all
        select
            *,
            {{ rank_over_key }} as quarantine_reason
        from with_row_check
        where
            row_check is null
            and {{ key }} in (select repeated_keys.{{ key }} from repeated_keys)

    )
    {%- else %}

    ranked as (

        select
            *,
            {{ rank_over_key }} as quarantine_reason
        from with_row_check

    )
    {%- endif %}

    select
        {{ star_except(['source_struct', 'row_check']) }},
        case when ranked.quarantine_reason is not null then {{ row_json("ranked.source_struct") }} end as source_row
    from ranked
{%- endmacro %}
