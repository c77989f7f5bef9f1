-- Every row of publish.data_quality accounts for every record read: rows in (what the ingest read,
-- raw.load_log) = rows loaded (what the warehouse holds, read back from staging) + rows quarantined.
-- A failure means records were lost or duplicated between the file and the models (or a source is
-- missing from dq_loaded_rows).
select
    authority_code,
    source_name,
    period,
    rows_in,
    rows_loaded,
    rows_quarantined
from {{ ref('data_quality') }}
where rows_in != rows_loaded + rows_quarantined
