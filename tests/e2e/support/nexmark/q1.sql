-- q1: currency conversion; 0.908 * price is numeric with three decimals, as DECIMAL(23, 3).
SELECT auction, bidder, 0.908 * price AS price, datetime, extra FROM bid
