-- One row per file the ingest loaded, with the counts it asserted (rows in = loaded + quarantined)
-- and the file's own date. Files loaded before the file date was recorded fall back to their load
-- time, so freshness is never judged on a null.
with

source as (
    select * from {{ source('ingest', 'load_log') }}
),

renamed as (
    select
        source as source_name,
        file_name,
        file_sha256,
        nullif(authority_codes, '') as authority_codes,
        nullif(periods, '') as periods,
        rows_in,
        rows_loaded,
        rows_quarantined,
        loaded_at,
        coalesce(file_modified_at, loaded_at) as file_modified_at,
        file_modified_at is null as is_file_date_load_time,
        coalesce(superseded, false) as is_superseded
    from source
)

select * from renamed
