-- Baseline report: the peak rule of SPEC section 4 as one SQL query over
-- every stored listen, as a user of the plain schema would write it.
-- The ISO week is that of the play's Thursday: date(d, '-3 days',
-- 'weekday 4') moves any day to the Thursday of its ISO week.
WITH RECURSIVE
per_listen AS (
	SELECT date(played_at, '-3 days', 'weekday 4') AS thursday, ms_played
	FROM listens),
weekly AS (
	SELECT thursday, sum(ms_played) AS total FROM per_listen
	GROUP BY thursday),
span(thursday) AS (
	SELECT min(thursday) FROM weekly
	UNION ALL
	SELECT date(thursday, '+7 days') FROM span
	WHERE thursday < (SELECT max(thursday) FROM weekly)),
filled AS (
	SELECT s.thursday, coalesce(w.total, 0) AS total
	FROM span s LEFT JOIN weekly w USING (thursday)),
stats AS (SELECT count(*) AS n, sum(total) AS s FROM filled),
flagged AS (
	SELECT thursday, total,
	    5 * abs(total * n - s) > s AS exc
	FROM filled, stats),
marked AS (
	SELECT thursday, total, exc,
	    lag(exc, 1, 0) OVER (ORDER BY thursday) AS prev_exc
	FROM flagged)
SELECT CAST(strftime('%Y', thursday) AS INTEGER) AS year,
    (CAST(strftime('%j', thursday) AS INTEGER) - 1) / 7 + 1 AS week,
    total AS listening_ms
FROM marked
WHERE exc AND NOT prev_exc
ORDER BY thursday;
