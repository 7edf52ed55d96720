// OrderPaymentJoin.java: the Flink (Java DataStream API, Flink 1.18) job that
// examples/order_payment_join.c does, for comparing the two: an interval join of orders and the
// payments made for them within 15 minutes. Not built: it documents the Flink equivalent and its
// line count.
import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.core.fs.Path;
import org.apache.flink.formats.csv.CsvReaderFormat;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.co.ProcessJoinFunction;
import org.apache.flink.streaming.api.windowing.time.Time;
import org.apache.flink.util.Collector;

public class OrderPaymentJoin {
  public static class Order {
    public long orderId;
    public String user;
    public double amount;
    public long ts;
  }

  public static class Payment {
    public long orderId;
    public double amount;
    public long ts;
  }

  public static void main(String[] args) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    DataStream<Order> orders = env.fromSource(
        FileSource.forRecordStreamFormat(CsvReaderFormat.forPojo(Order.class), new Path(args[0])).build(),
        WatermarkStrategy.<Order>forBoundedOutOfOrderness(Duration.ofSeconds(5))
            .withTimestampAssigner((o, t) -> o.ts), "orders");
    DataStream<Payment> payments = env.fromSource(
        FileSource.forRecordStreamFormat(CsvReaderFormat.forPojo(Payment.class), new Path(args[1])).build(),
        WatermarkStrategy.<Payment>forBoundedOutOfOrderness(Duration.ofSeconds(5))
            .withTimestampAssigner((p, t) -> p.ts), "payments");
    orders.keyBy(o -> o.orderId)
        .intervalJoin(payments.keyBy(p -> p.orderId))
        .between(Time.minutes(0), Time.minutes(15))
        .process(new ProcessJoinFunction<Order, Payment, String>() {
          @Override
          public void processElement(Order o, Payment p, Context ctx, Collector<String> out) {
            out.collect(o.orderId + "," + o.user + "," + o.amount + "," + p.amount + "," + (p.ts - o.ts));
          }
        })
        .writeAsText(args[2]);
    env.execute("OrderPaymentJoin");
  }
}
