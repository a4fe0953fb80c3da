{#-
    Data tests on the big incremental tables audit what the builds wrote since the test last passed, not every row
    again. Each passing data test records the start of its build (record_data_test_passes, on-run-end); a test
    whose `where` config holds one of the placeholders below then reads only

    - `rows_written_since_test_passed(<written_at>)`: the rows whose <written_at> column (computed_at, staged_at:
      the start of the build that wrote the row) is after that start, for checks of a row alone (not null, ranges);
    - `keys_written_since_test_passed(<written_at>, <column>)`: every row whose <column> value is one a row written
      since has, for uniqueness: a written row is compared with the rows that kept their old values too.

    Rows written since then include those of builds whose tests failed, so a failure is reported again until a
    build fixes it. A test that has never passed in this warehouse (first build, new test, a warehouse built before
    this record existed), the var `audit_every_row: true`, and every engine but DuckDB audit every row.
-#}

{% macro data_test_passes_relation() -%}
    {{- return(api.Relation.create(database=target.database, schema=target.schema, identifier='data_test_passes')) -}}
{%- endmacro %}

{% macro data_test_scope_applies() -%}
    {#- True when this test may read only what was written since it last passed (DuckDB, a pass recorded). -#}
    {%- if not execute or target.type != 'duckdb' or var('audit_every_row', false) -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set passes = data_test_passes_relation() -%}
    {{- return(adapter.get_relation(database=passes.database, schema=passes.schema, identifier=passes.identifier)
        is not none) -}}
{%- endmacro %}

{% macro written_since_test_passed(written_at) -%}
    {#- A condition on <written_at>: true for the rows written after this test last passed (every row when it never
        did, or when the scope does not apply). `model` is the test being compiled. -#}
    {%- if data_test_scope_applies() -%}
        {{ written_after_last_pass(written_at) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro written_after_last_pass(written_at) -%}
    {#- The condition itself, for a caller that has checked data_test_scope_applies(). The time of the last pass is
        read when the test is compiled, just before it runs (the record changes only at the end of a build), and
        written into the test as a literal: compared with a literal, the engine skips the row groups written
        before it, while a scalar subquery in the condition left the filter above the test's joins. -#}
    {%- set last_pass = newest_timestamp_literal(
        data_test_passes_relation(), 'passed_build_started_at', "test_unique_id = '" ~ model.unique_id ~ "'"
    ) -%}
    ({{ written_at }} is null or {{ written_at }} > {{ last_pass or "cast('0001-01-01 00:00:00' as timestamp)" }})
{%- endmacro %}

{% macro get_where_subquery(relation) -%}
    {#- dbt's filter of a generic test's relation by its `where` config, with the placeholders above resolved. -#}
    {%- set where = config.get('where', '') -%}
    {%- if not where -%}
        {{- return(relation) -}}
    {%- endif -%}
    {%- set where = where | trim -%}
    {%- if where.startswith('rows_written_since_test_passed(') or where.startswith('keys_written_since_test_passed(') -%}
        {%- if not data_test_scope_applies() -%}
            {{- return(relation) -}}
        {%- endif -%}
        {%- set arguments = where.split('(', 1)[1].rsplit(')', 1)[0].split(',') | map('trim') | list -%}
        {%- if where.startswith('rows_') and arguments | length == 1 -%}
            {%- set where = written_after_last_pass(arguments[0]) -%}
        {%- elif where.startswith('keys_') and arguments | length == 2 -%}
            {%- set where -%}
                {{ arguments[1] }} in (
                    select written.{{ arguments[1] }}
                    from {{ relation }} as written
                    where {{ written_after_last_pass('written.' ~ arguments[0]) }}
                )
            {%- endset -%}
        {%- else -%}
            {{ exceptions.raise_compiler_error(
                "test " ~ model.unique_id ~ ": `where: " ~ where ~ "` takes rows_written_since_test_passed(<column>)"
                ~ " or keys_written_since_test_passed(<written_at column>, <key column>)"
            ) }}
        {%- endif -%}
    {%- endif -%}
    {%- set filtered -%}
        (select * from {{ relation }} where {{ where }}) dbt_subquery
    {%- endset -%}
    {{- return(filtered) -}}
{%- endmacro %}

{% macro record_data_test_passes(results) -%}
    {#- on-run-end: the data tests that passed in this invocation, with the start of its build (the computed_at /
        staged_at of every row it wrote), replacing their earlier record. DuckDB only (see above). -#}
    {%- if execute and target.type == 'duckdb' and flags.WHICH in ['build', 'test'] -%}
        {%- set passed = [] -%}
        {%- for result in results -%}
            {%- if result.node.resource_type == 'test' and result.status == 'pass' -%}
                {%- do passed.append(result.node.unique_id) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set passes = data_test_passes_relation() %}
        create table if not exists {{ passes }} (
            test_unique_id varchar not null,
            passed_build_started_at timestamp not null
        );
        {%- if passed %}
        delete from {{ passes }} where test_unique_id in ('{{ passed | join("', '") }}');
        insert into {{ passes }} (test_unique_id, passed_build_started_at)
        select test_unique_id, {{ build_started_at() }}
        from (values ('{{ passed | join("'), ('") }}')) as passed (test_unique_id);
        {%- endif %}
    {%- endif -%}
{%- endmacro %}

{% macro newest_written(relation, column) -%}
    {#- For a data test that checks the rows the newest build wrote: the newest <column> value (a timestamp such as
        computed_at or staged_at) in <relation>, read when the test is compiled, just before it runs, and written
        into the test as a literal (null when the relation has no row, which then selects nothing). Compared with a
        literal, the engine skips the row groups of earlier builds; a scalar subquery left the filter above the
        test's joins. Where the relation is not built (parsing, linting), null. -#}
    {%- if not execute or adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier
    ) is none -%}
        {{- return('cast(null as timestamp)') -}}
    {%- endif -%}
    {{ newest_timestamp_literal(relation, column) or 'cast(null as timestamp)' }}
{%- endmacro %}

{% macro newest_timestamp_literal(relation, column, condition=none) -%}
    {#- The newest value of the timestamp <column> in <relation> (of its rows meeting <condition>), read now, as a
        timestamp literal; none when there is no such row. For the two macros above, at execution only. -#}
    {%- set newest = run_query(
        "select cast(max(" ~ column ~ ") as " ~ dbt.type_string() ~ ") from " ~ relation
        ~ (" where " ~ condition if condition else "")
    ).columns[0].values()[0] -%}
    {{- return(none if newest is none else "cast('" ~ newest ~ "' as timestamp)") -}}
{%- endmacro %}
