SELECT o.id, r.rate FROM orders AS o JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.cur = r.cur;
SELECT * FROM a LEFT JOIN b ON a.x = b.x CROSS JOIN UNNEST(b.arr) WITH ORDINALITY AS u (e, i), c NATURAL JOIN d;
SELECT * FROM t, LATERAL TABLE(split(t.a)) AS T(x, y) FULL OUTER JOIN (b JOIN c USING (k)) ON TRUE;
