-- How many conversations end (have their latest event) in each hour, kept
-- by the writer as conversations continue and by retention as they go.
-- "Conversations active in a window" is every conversation that ends at
-- or after its start, less those that begin after its end: these counts
-- answer the first part for whole hours, so a 7-day summary reads one row
-- an hour instead of counting hundreds of thousands of index entries.
CREATE TABLE conversation_ends (
    hour          BIGINT PRIMARY KEY, -- epoch ms, the start of the hour
    conversations BIGINT NOT NULL
);

INSERT INTO conversation_ends (hour, conversations)
SELECT last_ts - ((last_ts % 3600000) + 3600000) % 3600000, COUNT(*)
FROM conversations
GROUP BY last_ts - ((last_ts % 3600000) + 3600000) % 3600000;
