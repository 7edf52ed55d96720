// SensorWindows.java: the Flink (Java DataStream API, Flink 1.18) job that examples/sensor_windows.c
// does, for comparing the two. Not built: it documents the Flink equivalent and its line count.
import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.core.fs.Path;
import org.apache.flink.formats.csv.CsvReaderFormat;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.time.Time;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

public class SensorWindows {
  public static class Reading {
    public String sensor;
    public long ts;
    public double temp;
  }

  /* (count, sum, max) */
  static class Stats implements AggregateFunction<Reading, Tuple3<Long, Double, Double>, Tuple3<Long, Double, Double>> {
    public Tuple3<Long, Double, Double> createAccumulator() {
      return Tuple3.of(0L, 0.0, Double.NEGATIVE_INFINITY);
    }
    public Tuple3<Long, Double, Double> add(Reading r, Tuple3<Long, Double, Double> a) {
      return Tuple3.of(a.f0 + 1, a.f1 + r.temp, Math.max(a.f2, r.temp));
    }
    public Tuple3<Long, Double, Double> getResult(Tuple3<Long, Double, Double> a) {
      return a;
    }
    public Tuple3<Long, Double, Double> merge(Tuple3<Long, Double, Double> a, Tuple3<Long, Double, Double> b) {
      return Tuple3.of(a.f0 + b.f0, a.f1 + b.f1, Math.max(a.f2, b.f2));
    }
  }

  public static void main(String[] args) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    FileSource<Reading> source =
        FileSource.forRecordStreamFormat(CsvReaderFormat.forPojo(Reading.class), new Path(args[0])).build();
    env.fromSource(source,
            WatermarkStrategy.<Reading>forBoundedOutOfOrderness(Duration.ofSeconds(5))
                .withTimestampAssigner((r, t) -> r.ts), "readings")
        .keyBy(r -> r.sensor)
        .window(TumblingEventTimeWindows.of(Time.seconds(10)))
        .aggregate(new Stats(), new ProcessWindowFunction<Tuple3<Long, Double, Double>, String, String, TimeWindow>() {
          public void process(String sensor, Context ctx, Iterable<Tuple3<Long, Double, Double>> in, Collector<String> out) {
            Tuple3<Long, Double, Double> s = in.iterator().next();
            out.collect(sensor + "," + ctx.window().getStart() + "," + ctx.window().getEnd() + ","
                + s.f0 + "," + (s.f1 / s.f0) + "," + s.f2);
          }
        })
        .writeAsText(args[1]);
    env.execute("SensorWindows");
  }
}
