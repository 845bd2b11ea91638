package io.resalign.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The selector scanner on the PromQL shapes the rules and dashboards use. */
class PromQlSelectorsTest {
    @Test
    void shouldFindSelectorsButNotFunctionsLabelListsOrDurations() {
        assertEquals(List.of("resalign_drift_decision", "resalign_reports_total"), PromQlSelectors.of("""
                min_over_time(resalign_drift_decision[15m]) == 1
                and on (model, version)
                sum by (model, version) (increase(resalign_reports_total[15m] offset 5m)) >= 2"""));
    }

    @Test
    void shouldKeepMatchersWithBracesAndQuotesInsideStrings() {
        assertEquals(List.of("kafka_consumer_fetch_manager_records_lag_max{client_id=~\".+-StreamThread-[0-9]+-consumer\"}",
                "resalign_sample_latency_seconds_bucket{le=\"60.0\", model=~'a}b'}"),
                PromQlSelectors.of("max by (job, instance) (kafka_consumer_fetch_manager_records_lag_max"
                        + "{client_id=~\".+-StreamThread-[0-9]+-consumer\"}) > 1000 or "
                        + "rate(resalign_sample_latency_seconds_bucket {le=\"60.0\", model=~'a}b'}[1m:10s])"));
    }

    @Test
    void shouldTreatTrailingModifiersAndGroupingListsAsNonMetrics() {
        assertEquals(List.of("a", "b", "{__name__=\"c\"}"),
                PromQlSelectors.of("sum(a) without (instance) / ignoring(reason) group_left(model) b * bool 1e3 + {__name__=\"c\"} > Inf"));
        assertEquals(List.of("up{job=\"resalign\"}"), PromQlSelectors.of("absent(up{job=\"resalign\"} == 1)"));
        assertEquals(List.of("resalign_reference_age_seconds"), PromQlSelectors.of("resalign_reference_age_seconds > 30 * 24 * 3600"));
    }

    @Test
    void shouldRejectUnclosedBrackets() {
        assertThrows(IllegalArgumentException.class, () -> PromQlSelectors.of("rate(x{a=\"b\"[5m])"));
        assertThrows(IllegalArgumentException.class, () -> PromQlSelectors.of("rate(x[5m)"));
    }
}
