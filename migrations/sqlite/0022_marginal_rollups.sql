-- Marginal rollups: per hour and per day, the sums for each value of each
-- dimension a summary breaks down by (model, stage, persona, tenant, tool),
-- one dimension at a time. A summary never groups by two of them
-- together, so where it has no filter it reads these: a few dozen rows an
-- hour where the rollups of every combination of the seven dimensions
-- hold hundreds (713 against 4,615 rows for 23 hours, 186 against 1,368
-- for six days, at 10M events: docs/performance.md). Filtered summaries
-- still read the combinations. Written by the same upserts, in the same
-- transactions, as the other rollups (so the `*_total` rows' `writes`
-- cover them too); zeros stored as NULL, as there (migration 0016).
-- Filled here from the hour and day rollups.

CREATE TABLE rollup_hour_marginal (
    bucket               INTEGER NOT NULL,
    dim                  TEXT   NOT NULL,
    value                TEXT   NOT NULL,
    events               INTEGER,
    errors               INTEGER,
    input_tokens         INTEGER,
    output_tokens        INTEGER,
    cached_input_tokens  INTEGER,
    cache_write_tokens   INTEGER,
    reasoning_tokens     INTEGER,
    cost_nanos           INTEGER,
    unpriced_events      INTEGER,
    unpriced_tokens      INTEGER,
    duration_count       INTEGER,
    duration_sum_ms      INTEGER,
    turns_started        INTEGER,
    chats_started        INTEGER,
    h00                  INTEGER,
    h01                  INTEGER,
    h02                  INTEGER,
    h03                  INTEGER,
    h04                  INTEGER,
    h05                  INTEGER,
    h06                  INTEGER,
    h07                  INTEGER,
    h08                  INTEGER,
    h09                  INTEGER,
    h10                  INTEGER,
    h11                  INTEGER,
    h12                  INTEGER,
    h13                  INTEGER,
    h14                  INTEGER,
    h15                  INTEGER,
    h16                  INTEGER,
    h17                  INTEGER,
    h18                  INTEGER,
    h19                  INTEGER,
    PRIMARY KEY (bucket, dim, value)
) WITHOUT ROWID;

INSERT INTO rollup_hour_marginal (bucket, dim, value, events, errors, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, cost_nanos, unpriced_events, unpriced_tokens, duration_count, duration_sum_ms, turns_started, chats_started, h00, h01, h02, h03, h04, h05, h06, h07, h08, h09, h10, h11, h12, h13, h14, h15, h16, h17, h18, h19)
    SELECT bucket, 'model', model, SUM(events), SUM(errors), SUM(input_tokens), SUM(output_tokens), SUM(cached_input_tokens), SUM(cache_write_tokens), SUM(reasoning_tokens), SUM(cost_nanos), SUM(unpriced_events), SUM(unpriced_tokens), SUM(duration_count), SUM(duration_sum_ms), SUM(turns_started), SUM(chats_started), SUM(h00), SUM(h01), SUM(h02), SUM(h03), SUM(h04), SUM(h05), SUM(h06), SUM(h07), SUM(h08), SUM(h09), SUM(h10), SUM(h11), SUM(h12), SUM(h13), SUM(h14), SUM(h15), SUM(h16), SUM(h17), SUM(h18), SUM(h19)
    FROM rollup_hour GROUP BY bucket, model
    UNION ALL
    SELECT bucket, 'stage', stage, SUM(events), SUM(errors), SUM(input_tokens), SUM(output_tokens), SUM(cached_input_tokens), SUM(cache_write_tokens), SUM(reasoning_tokens), SUM(cost_nanos), SUM(unpriced_events), SUM(unpriced_tokens), SUM(duration_count), SUM(duration_sum_ms), SUM(turns_started), SUM(chats_started), SUM(h00), SUM(h01), SUM(h02), SUM(h03), SUM(h04), SUM(h05), SUM(h06), SUM(h07), SUM(h08), SUM(h09), SUM(h10), SUM(h11), SUM(h12), SUM(h13), SUM(h14), SUM(h15), SUM(h16), SUM(h17), SUM(h18), SUM(h19)
    FROM rollup_hour GROUP BY bucket, stage
    UNION ALL
    SELECT bucket, 'persona', persona, SUM(events), SUM(errors), SUM(input_tokens), SUM(output_tokens), SUM(cached_input_tokens), SUM(cache_write_tokens), SUM(reasoning_tokens), SUM(cost_nanos), SUM(unpriced_events), SUM(unpriced_tokens), SUM(duration_count), SUM(duration_sum_ms), SUM(turns_started), SUM(chats_started), SUM(h00), SUM(h01), SUM(h02), SUM(h03), SUM(h04), SUM(h05), SUM(h06), SUM(h07), SUM(h08), SUM(h09), SUM(h10), SUM(h11), SUM(h12), SUM(h13), SUM(h14), SUM(h15), SUM(h16), SUM(h17), SUM(h18), SUM(h19)
    FROM rollup_hour GROUP BY bucket, persona
    UNION ALL
    SELECT bucket, 'tenant', tenant, SUM(events), SUM(errors), SUM(input_tokens), SUM(output_tokens), SUM(cached_input_tokens), SUM(cache_write_tokens), SUM(reasoning_tokens), SUM(cost_nanos), SUM(unpriced_events), SUM(unpriced_tokens), SUM(duration_count), SUM(duration_sum_ms), SUM(turns_started), SUM(chats_started), SUM(h00), SUM(h01), SUM(h02), SUM(h03), SUM(h04), SUM(h05), SUM(h06), SUM(h07), SUM(h08), SUM(h09), SUM(h10), SUM(h11), SUM(h12), SUM(h13), SUM(h14), SUM(h15), SUM(h16), SUM(h17), SUM(h18), SUM(h19)
    FROM rollup_hour GROUP BY bucket, tenant
    UNION ALL
    SELECT bucket, 'tool', tool, SUM(events), SUM(errors), SUM(input_tokens), SUM(output_tokens), SUM(cached_input_tokens), SUM(cache_write_tokens), SUM(reasoning_tokens), SUM(cost_nanos), SUM(unpriced_events), SUM(unpriced_tokens), SUM(duration_count), SUM(duration_sum_ms), SUM(turns_started), SUM(chats_started), SUM(h00), SUM(h01), SUM(h02), SUM(h03), SUM(h04), SUM(h05), SUM(h06), SUM(h07), SUM(h08), SUM(h09), SUM(h10), SUM(h11), SUM(h12), SUM(h13), SUM(h14), SUM(h15), SUM(h16), SUM(h17), SUM(h18), SUM(h19)
    FROM rollup_hour GROUP BY bucket, tool;

CREATE TABLE rollup_day_marginal (
    bucket               INTEGER NOT NULL,
    dim                  TEXT   NOT NULL,
    value                TEXT   NOT NULL,
    events               INTEGER,
    errors               INTEGER,
    input_tokens         INTEGER,
    output_tokens        INTEGER,
    cached_input_tokens  INTEGER,
    cache_write_tokens   INTEGER,
    reasoning_tokens     INTEGER,
    cost_nanos           INTEGER,
    unpriced_events      INTEGER,
    unpriced_tokens      INTEGER,
    duration_count       INTEGER,
    duration_sum_ms      INTEGER,
    turns_started        INTEGER,
    chats_started        INTEGER,
    h00                  INTEGER,
    h01                  INTEGER,
    h02                  INTEGER,
    h03                  INTEGER,
    h04                  INTEGER,
    h05                  INTEGER,
    h06                  INTEGER,
    h07                  INTEGER,
    h08                  INTEGER,
    h09                  INTEGER,
    h10                  INTEGER,
    h11                  INTEGER,
    h12                  INTEGER,
    h13                  INTEGER,
    h14                  INTEGER,
    h15                  INTEGER,
    h16                  INTEGER,
    h17                  INTEGER,
    h18                  INTEGER,
    h19                  INTEGER,
    PRIMARY KEY (bucket, dim, value)
) WITHOUT ROWID;

INSERT INTO rollup_day_marginal (bucket, dim, value, events, errors, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, cost_nanos, unpriced_events, unpriced_tokens, duration_count, duration_sum_ms, turns_started, chats_started, h00, h01, h02, h03, h04, h05, h06, h07, h08, h09, h10, h11, h12, h13, h14, h15, h16, h17, h18, h19)
    SELECT bucket, 'model', model, SUM(events), SUM(errors), SUM(input_tokens), SUM(output_tokens), SUM(cached_input_tokens), SUM(cache_write_tokens), SUM(reasoning_tokens), SUM(cost_nanos), SUM(unpriced_events), SUM(unpriced_tokens), SUM(duration_count), SUM(duration_sum_ms), SUM(turns_started), SUM(chats_started), SUM(h00), SUM(h01), SUM(h02), SUM(h03), SUM(h04), SUM(h05), SUM(h06), SUM(h07), SUM(h08), SUM(h09), SUM(h10), SUM(h11), SUM(h12), SUM(h13), SUM(h14), SUM(h15), SUM(h16), SUM(h17), SUM(h18), SUM(h19)
    FROM rollup_day GROUP BY bucket, model
    UNION ALL
    SELECT bucket, 'stage', stage, SUM(events), SUM(errors), SUM(input_tokens), SUM(output_tokens), SUM(cached_input_tokens), SUM(cache_write_tokens), SUM(reasoning_tokens), SUM(cost_nanos), SUM(unpriced_events), SUM(unpriced_tokens), SUM(duration_count), SUM(duration_sum_ms), SUM(turns_started), SUM(chats_started), SUM(h00), SUM(h01), SUM(h02), SUM(h03), SUM(h04), SUM(h05), SUM(h06), SUM(h07), SUM(h08), SUM(h09), SUM(h10), SUM(h11), SUM(h12), SUM(h13), SUM(h14), SUM(h15), SUM(h16), SUM(h17), SUM(h18), SUM(h19)
    FROM rollup_day GROUP BY bucket, stage
    UNION ALL
    SELECT bucket, 'persona', persona, SUM(events), SUM(errors), SUM(input_tokens), SUM(output_tokens), SUM(cached_input_tokens), SUM(cache_write_tokens), SUM(reasoning_tokens), SUM(cost_nanos), SUM(unpriced_events), SUM(unpriced_tokens), SUM(duration_count), SUM(duration_sum_ms), SUM(turns_started), SUM(chats_started), SUM(h00), SUM(h01), SUM(h02), SUM(h03), SUM(h04), SUM(h05), SUM(h06), SUM(h07), SUM(h08), SUM(h09), SUM(h10), SUM(h11), SUM(h12), SUM(h13), SUM(h14), SUM(h15), SUM(h16), SUM(h17), SUM(h18), SUM(h19)
    FROM rollup_day GROUP BY bucket, persona
    UNION ALL
    SELECT bucket, 'tenant', tenant, SUM(events), SUM(errors), SUM(input_tokens), SUM(output_tokens), SUM(cached_input_tokens), SUM(cache_write_tokens), SUM(reasoning_tokens), SUM(cost_nanos), SUM(unpriced_events), SUM(unpriced_tokens), SUM(duration_count), SUM(duration_sum_ms), SUM(turns_started), SUM(chats_started), SUM(h00), SUM(h01), SUM(h02), SUM(h03), SUM(h04), SUM(h05), SUM(h06), SUM(h07), SUM(h08), SUM(h09), SUM(h10), SUM(h11), SUM(h12), SUM(h13), SUM(h14), SUM(h15), SUM(h16), SUM(h17), SUM(h18), SUM(h19)
    FROM rollup_day GROUP BY bucket, tenant
    UNION ALL
    SELECT bucket, 'tool', tool, SUM(events), SUM(errors), SUM(input_tokens), SUM(output_tokens), SUM(cached_input_tokens), SUM(cache_write_tokens), SUM(reasoning_tokens), SUM(cost_nanos), SUM(unpriced_events), SUM(unpriced_tokens), SUM(duration_count), SUM(duration_sum_ms), SUM(turns_started), SUM(chats_started), SUM(h00), SUM(h01), SUM(h02), SUM(h03), SUM(h04), SUM(h05), SUM(h06), SUM(h07), SUM(h08), SUM(h09), SUM(h10), SUM(h11), SUM(h12), SUM(h13), SUM(h14), SUM(h15), SUM(h16), SUM(h17), SUM(h18), SUM(h19)
    FROM rollup_day GROUP BY bucket, tool;
