// FraudDetection.java: the Flink (Java DataStream API, Flink 1.18) job that
// examples/fraud_detection.c does, for comparing the two: Flink's fraud detection walkthrough
// (a small transaction followed within a minute by a large one on the same account raises an
// alert), on event time and reading a CSV file. Not built: it documents the Flink equivalent and
// its line count.
import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.core.fs.Path;
import org.apache.flink.formats.csv.CsvReaderFormat;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

public class FraudDetection {
  public static class Transaction {
    public long account;
    public long ts;
    public double amount;
  }

  static class FraudDetector extends KeyedProcessFunction<Long, Transaction, String> {
    static final double SMALL = 1.00, LARGE = 500.00;
    static final long MINUTE = 60 * 1000;
    private transient ValueState<Boolean> flag;
    private transient ValueState<Long> timer;

    @Override
    public void open(Configuration parameters) {
      flag = getRuntimeContext().getState(new ValueStateDescriptor<>("flag", Types.BOOLEAN));
      timer = getRuntimeContext().getState(new ValueStateDescriptor<>("timer", Types.LONG));
    }

    @Override
    public void processElement(Transaction t, Context ctx, Collector<String> out) throws Exception {
      if (flag.value() != null) {
        // the timer may not have fired yet: the watermark lags behind the transactions
        if (t.amount > LARGE && t.ts <= timer.value()) out.collect(t.account + "," + t.ts + "," + t.amount);
        ctx.timerService().deleteEventTimeTimer(timer.value());
        flag.clear();
        timer.clear();
      }
      if (t.amount < SMALL) {
        flag.update(true);
        long at = ctx.timestamp() + MINUTE;
        ctx.timerService().registerEventTimeTimer(at);
        timer.update(at);
      }
    }

    @Override
    public void onTimer(long ts, OnTimerContext ctx, Collector<String> out) {
      flag.clear();
      timer.clear();
    }
  }

  public static void main(String[] args) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    FileSource<Transaction> source = FileSource.forRecordStreamFormat(
        CsvReaderFormat.forPojo(Transaction.class), new Path(args[0])).build();
    env.fromSource(source,
            WatermarkStrategy.<Transaction>forBoundedOutOfOrderness(Duration.ofSeconds(5))
                .withTimestampAssigner((t, p) -> t.ts), "transactions")
        .keyBy(t -> t.account)
        .process(new FraudDetector())
        .writeAsText(args[1]);
    env.execute("FraudDetection");
  }
}
