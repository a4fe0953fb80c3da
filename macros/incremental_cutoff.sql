{% macro incremental_cutoff(loaded_at_column='loaded_at') -%}
    {#-
        On an incremental run: the loaded_at from which rows are reprocessed — the newest loaded_at already
        in the target minus the `incremental_lookback_days` var, so rows that land a little out of order are
        still picked up. Rows loaded after the build's start (`build_started_at`) never count: staging
        quarantines them (future_timestamp), and a cutoff they moved would skip every row landed before them. When the `backfill_start` var is set (a Dagster run over a range of daily
        partitions; also read from the DBT_BACKFILL_START environment variable, which spares dbt a re-parse),
        the earlier of that and the usual cutoff. On a full build: a timestamp before any data.
    -#}
    {%- set backfill_start = var('backfill_start', env_var('DBT_BACKFILL_START', '')) -%}
    {%- if is_incremental() -%}
        {%- if backfill_start -%}
        least(
            (
                select {{ dbt.dateadd('day', -1 * var('incremental_lookback_days'), 'max(' ~ loaded_at_column ~ ')') }}
                from {{ this }}
                where {{ loaded_at_column }} <= {{ build_started_at() }}
            ),
            cast('{{ backfill_start }}' as timestamp)
        )
        {%- else -%}
        (
            select {{ dbt.dateadd('day', -1 * var('incremental_lookback_days'), 'max(' ~ loaded_at_column ~ ')') }}
            from {{ this }}
            where {{ loaded_at_column }} <= {{ build_started_at() }}
        )
        {%- endif -%}
    {%- else -%}
        cast('1900-01-01' as timestamp)
    {%- endif -%}
{%- endmacro %}

{% macro loaded_since_backfill_start(loaded_at_column='loaded_at') -%}
    {#-
        A condition for the models that take what staging wrote since they last ran (staged_at): when the
        `backfill_start` var (or DBT_BACKFILL_START, which Dagster sets for the partitions of a run) is set, the
        rows loaded since then are reprocessed as well, so a run over a range of days redoes those days;
        `false` otherwise.
    -#}
    {%- set backfill_start = var('backfill_start', env_var('DBT_BACKFILL_START', '')) -%}
    {%- if backfill_start -%}
        {{ loaded_at_column }} >= cast('{{ backfill_start }}' as timestamp)
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}

{% macro last_staged_at() -%}
    {#-
        On an incremental run of a model that takes what staging wrote since it last ran: the newest `staged_at`
        the model (`this`) holds (newest_built: a literal when DuckDB runs the model, else a scalar subquery; a
        timestamp before any data when it holds no row).
    -#}
    {{- newest_built('staged_at') }}
{%- endmacro %}

{% macro last_computed_at() -%}
    {#-
        On an incremental run of a model whose rows carry `computed_at` (the wallet models computed one member at a
        time, the order facts): the newest `computed_at` the model (`this`) holds (newest_built: a literal when DuckDB
        runs the model, else a scalar subquery; a timestamp before any data when it holds no row). What changed
        upstream after it (members computed again, a day's rate in int_fx_rates_tracked) is what to compute again.
    -#}
    {{- newest_built('computed_at') }}
{%- endmacro %}

{% macro first_changed_rate_date(rate_changes) -%}
    {#- On an incremental run of a model whose rows carry `computed_at`: the first day whose rate changed since the
        model (`this`) last computed its rows, from int_fx_rates_tracked (the calling model's import CTE
        `rate_changes`), as a scalar subquery; null when no rate changed. -#}
    (
        select min(rate_changes.rate_date)
        from {{ rate_changes }} as rate_changes
        where rate_changes.changed_at > {{ last_computed_at() }}
    )
{%- endmacro %}

{% macro accounts_rematched_since(customer_id_changes, source_system) -%}
    {#- On an incremental run of a model whose rows carry `computed_at`: the customer ids of `source_system` whose
        golden customer changed since the model (`this`) last computed its rows (MDM matched, re-matched or dropped
        them), from int_customer_ids_tracked (the calling model's import CTE `customer_id_changes`), as a subquery
        for `in`. -#}
    (
        select customer_id_changes.source_customer_id
        from {{ customer_id_changes }} as customer_id_changes
        where
            customer_id_changes.source_system = '{{ source_system }}'
            and customer_id_changes.changed_at > {{ last_computed_at() }}
    )
{%- endmacro %}

{% macro previous_customers_written_since(relation) -%}
    {#- On an incremental run of a model whose rows carry `computed_at`: the golden customers that the rows `relation`
        (an import CTE of int_touchpoints_converted or int_wallet_transactions_converted) wrote again since the model
        (`this`) last computed its rows had before they moved to another customer (previous_golden_customer_id), as
        a select to union with the customers to compute again. -#}
    select written.previous_golden_customer_id as golden_customer_id
    from {{ relation }} as written
    where
        written.computed_at > {{ last_computed_at() }}
        and written.previous_golden_customer_id is not null
{%- endmacro %}

{% macro newest_built(column) -%}
    {#- The newest value of `column` the model (`this`) holds; a timestamp before any data when it holds no row. When
        DuckDB runs the model (dbt compiles a model just before it runs it, once its inputs are built), read then and
        written into the model as a literal: compared with a literal, the engine skips the row groups written before
        it, where a scalar subquery made it read every row. Elsewhere (Spark, unit tests, compile, lint) a scalar
        subquery. -#}
    {%- if execute and target.type == 'duckdb' and flags.WHICH in ['run', 'build', 'retry']
        and model.resource_type == 'model' and is_incremental() -%}
        {{ newest_timestamp_literal(this, column) or "cast('1900-01-01' as timestamp)" }}
    {%- else -%}
        (select coalesce(max(built.{{ column }}), cast('1900-01-01' as timestamp)) from {{ this }} as built)
    {%- endif -%}
{%- endmacro %}
