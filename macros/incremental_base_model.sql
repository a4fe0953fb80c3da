{#-
    The pieces every incremental base model shares (base_shop__orders, base_shop__order_lines). Such a model reads
    only the landed files no row came from yet and re-checks, with every row of their keys, the new rows' keys and
    the rows quarantined for a reason later data or time can change (`reevaluated_reasons`); its own checks stay in
    the model. Rows of those keys are replaced (delete+insert on row_key), so the table equals a full build.
    Every row a build writes carries `staged_at`, the build's start: a model downstream finds what staging wrote
    since it last ran by that column, whatever the rows' own loaded_at says (a late file of old rows included).
-#}

{% macro incremental_base_files(landed, source_system, source_table, key_column, reevaluated_reasons, new_files=none, recheck=none) -%}
    {#-
        On an incremental run: {'new': the landed files no row came from yet (`new_files` when the model listed
        them already), 'recovery': the files holding staged rows of the keys this run re-checks (such a row may lose
        to a newer one and then needs its raw row again), 'recheck': `recheck`}. `recheck`, when given, is a query
        of further row keys the model re-checks: rows whose outcome depends on other rows than their key's (e.g.
        every refund of an order whose refunds are measured against its sale again). Otherwise all empty. `landed` is
        the model's source() relation of the table; `source_system` and `source_table` name its landing folder.
    -#}
    {%- if not is_incremental() -%}
        {{ return({'new': [], 'recovery': [], 'recheck': none}) }}
    {%- endif -%}
    {%- set new_files = new_files if new_files is not none else unread_landed_files(source_system, source_table) -%}
    {%- set recovery_files = files_of_staged_rows(
        'select ' ~ clean_text(key_column) ~ ' from ' ~ landed
        ~ ' where ' ~ landed_file_filter(new_files)
        ~ ' union all select row_key from ' ~ this ~ ' where quarantine_reason in ('
        ~ reason_list(reevaluated_reasons) ~ ')'
        ~ (' union all select row_key from (' ~ recheck ~ ') as rechecked_keys' if recheck is not none else '')
    ) -%}
    {{ return({'new': new_files, 'recovery': recovery_files, 'recheck': recheck}) }}
{%- endmacro %}

{% macro reason_list(reasons) -%}
    {#- Quarantine reasons as a SQL list of literals: 'a', 'b'. -#}
    {{- "'" ~ reasons | join("', '") ~ "'" -}}
{%- endmacro %}

{% macro incremental_base_source(landed, files) -%}
    {#-
        The rows of `landed` (the model's source() relation) a run reads (only `files['new']` on an incremental run),
        with the raw row as a struct.
    -#}
    {{ landed_source_rows(landed, files['new'] if is_incremental() else none) }}
{%- endmacro %}

{% macro landed_source_rows(landed, files=none) -%}
    {#- The rows of `landed`, a source() relation (of the named landed files only, when given), with the raw row as a struct. -#}
    select
        *,
        {{ row_struct_except(["landed_file"]) }} as source_struct
    from {{ landed }}
    {%- if files is not none %}
        where {{ landed_file_filter(files) }}
    {%- endif %}
{%- endmacro %}

{% macro incremental_base_candidates(key_column, reevaluated_reasons, files=none) -%}
    {#-
        On an incremental run, the CTEs `previously_quarantined`, `affected_keys`, `restaged_rows` (DuckDB; `previous`
        elsewhere), `restaged` and `candidates` (new rows from
        `renamed` and the staged rows of the affected keys, which carry their earlier failed_check and source_row as
        previous_failed_check and previous_source_row), each followed by a comma; nothing otherwise. The affected
        keys: the new rows', those quarantined for a reason in `reevaluated_reasons`, and `files['recheck']`'s.
        On DuckDB the staged rows of the affected keys are found on the key column alone and then read by row id,
        so a run that restages a few rows reads the other columns of those rows only, not of every staged row.
    -#}
    {%- if is_incremental() %}
    {%- if target.type != 'duckdb' %}

    previous as (

        select * from {{ this }}

    ),
    {%- endif %}

    -- read apart from `previous`: each reads the staged table once, so the engine scans only the columns and rows
    -- it needs instead of buffering every staged row for two readers
    previously_quarantined as (

        select
            row_key,
            quarantine_reason
        from {{ this }}

    ),

    affected_keys as (

        select {{ row_key([key_column]) }} as row_key
        from renamed
        where {{ key_column }} is not null
        union
        select row_key
        from previously_quarantined
        where
            quarantine_reason in ({{ reason_list(reevaluated_reasons) }})
        {%- if files is not none and files['recheck'] is not none %}
        union
        select row_key
        from ({{ files['recheck'] }}) as rechecked_keys
        {%- endif %}

    ),

    {%- if target.type == 'duckdb' %}

    restaged_rows as (

        -- the staged rows of the affected keys, found on the key column alone (usually none or a few)
        select staged.rowid as staged_row_id
        from {{ this }} as staged
        where staged.row_key in (select affected_keys.row_key from affected_keys)

    ),
    {%- endif %}

    restaged as (

        -- checked again with the new rows; a check that failed on the row alone keeps its outcome
        select
            {{ star_except(['row_key', 'failed_check', 'quarantine_reason', 'source_row', 'staged_at']) }},
            previous.failed_check as previous_failed_check,
            previous.source_row as previous_source_row
        {%- if target.type == 'duckdb' %}
        from {{ this }} as previous
        where previous.rowid in (select restaged_rows.staged_row_id from restaged_rows)
        {%- else %}
        from previous
        where previous.row_key in (select affected_keys.row_key from affected_keys)
        {%- endif %}

    ),

    candidates as (

        {{ incremental_base_union_candidates() }}

    ),
    {%- endif %}
{%- endmacro %}

{% macro incremental_base_union_candidates() -%}
    {#-
        `renamed` (the new rows, with their raw row as `source_struct`) and `restaged` (the staged rows, with their
        previous_failed_check and previous_source_row) as one relation, each side's missing columns null: DuckDB's
        UNION ALL BY NAME. Spark's UNION matches columns by position only, so there both sides name the staged
        table's columns (those `restaged` keeps) in its order.
    -#}
    {%- if target.type == 'spark' -%}
        {%- set computed = ['row_key', 'failed_check', 'quarantine_reason', 'source_row', 'staged_at'] -%}
        {%- set staged = [] -%}
        {%- for column in (adapter.get_columns_in_relation(this) if execute else []) -%}
            {%- if column.name not in computed -%}{%- do staged.append(column.quoted) -%}{%- endif -%}
        {%- endfor -%}
        select
            {{ staged | join(', ') }},
            source_struct,
            cast(null as string) as previous_failed_check,
            cast(null as string) as previous_source_row
        from renamed
        union all
        select
            {{ staged | join(', ') }},
            null as source_struct,
            previous_failed_check,
            previous_source_row
        from restaged
    {%- else -%}
        select * from renamed
        union all by name
        select * from restaged
    {%- endif -%}
{%- endmacro %}

{% macro incremental_base_kept_check(dependent_checks) -%}
    {#-
        The first branch of a model's check `case` on an incremental run: a re-checked row keeps a failed check
        that read the row alone (anything but `dependent_checks`); nothing otherwise.
    -#}
    {%- if is_incremental() %}
        when
            previous_failed_check not in ({{ reason_list(dependent_checks) }})
            then previous_failed_check
    {%- endif %}
{%- endmacro %}

{% macro incremental_base_final(landed, key_column, files) -%}
    {#-
        The model's final select from `deduplicated`, every row stamped with the build's start (`staged_at`). On an
        incremental run a row quarantined now gets its raw row back: its own, the one stored earlier, or (a staged
        row that now loses to a newer one) read again from its file (`files['recovery']`), matched by file, key and
        row hash. `landed` is the model's source() relation.
    -#}
    {%- if is_incremental() %}
    ,

    recovered as (

        -- the raw rows of staged rows that may now lose to a newer row of their key (source_row is kept for
        -- quarantined rows only), read again from their files
        select
            landed_file as recovered_file,
            {{ clean_text(key_column) }} as recovered_key,
            {{ row_hash('source_struct') }} as recovered_hash,
            any_value({{ row_json("source_struct") }}) as recovered_source_row
        from (
            {{ landed_source_rows(landed, files['recovery']) }}
        ) as recovery_source
        group by all

    ),

    rechecked as (

        select
            {{ star_except([
                'source_row', 'previous_failed_check', 'previous_source_row',
                'recovered_file', 'recovered_key', 'recovered_hash', 'recovered_source_row',
            ]) }},
            case
                when deduplicated.quarantine_reason is not null
                    then coalesce(
                        deduplicated.source_row, deduplicated.previous_source_row, recovered.recovered_source_row
                    )
            end as source_row
        from deduplicated
        left join recovered
            on
                deduplicated.landed_file = recovered.recovered_file
                and deduplicated.row_key = recovered.recovered_key
                and deduplicated.source_row_hash = recovered.recovered_hash

    )

    select
        *,
        {{ build_started_at() }} as staged_at
    from rechecked
    {%- else %}

select
    *,
    {{ build_started_at() }} as staged_at
from deduplicated
    {%- endif %}
{%- endmacro %}
