package io.resalign.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalLong;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DriftScheduleTest {

    @Test
    void theDefaultIsTwoThousandCleanThenTwoThousandNoisyRepeating() {
        DriftSchedule s = DriftSchedule.parse(DriftSchedule.DEFAULT);
        assertEquals(2, s.phases().size());
        assertTrue(s.repeats());
        assertEquals(List.of(new Transform.Clean()), s.phases().get(0).transforms());
        assertEquals(List.of(new Transform.Noise(80)), s.phases().get(1).transforms());
        assertTrue(s.phaseAt(0).clean());
        assertTrue(s.phaseAt(1999).clean());
        assertEquals("noise:sigma=80", s.phaseAt(2000).name());
        assertEquals("noise:sigma=80", s.phaseAt(3999).name());
        assertTrue(s.phaseAt(4000).clean(), "back to clean");
        assertEquals("noise:sigma=80", s.phaseAt(6000).name());
        assertTrue(s.startsPhase(0));
        assertTrue(s.startsPhase(2000));
        assertTrue(s.startsPhase(4000));
        assertFalse(s.startsPhase(1));
        assertFalse(s.startsPhase(2001));
        assertEquals(DriftSchedule.DEFAULT, s.toString());
    }

    @Test
    void everyTransformParsesWithAndWithoutItsKey() {
        DriftSchedule s = DriftSchedule.parse(" clean * 100 , noise:64*10, noise:sigma=64*10, contrast:0.4*10, "
                + "contrast:factor=0.4*10, brightness:40*10, BRIGHTNESS:delta=-25.5*10, rotate:30*10, rotate:degrees=-15*10, occlude:10*10, OCCLUDE:size=5*10");
        assertEquals(List.of(
                List.of(new Transform.Clean()), List.of(new Transform.Noise(64)), List.of(new Transform.Noise(64)),
                List.of(new Transform.Contrast(0.4)), List.of(new Transform.Contrast(0.4)),
                List.of(new Transform.Brightness(40)), List.of(new Transform.Brightness(-25.5)), List.of(new Transform.Rotate(30)),
                List.of(new Transform.Rotate(-15)), List.of(new Transform.Occlude(10)), List.of(new Transform.Occlude(5))),
                s.phases().stream().map(DriftSchedule.Phase::transforms).toList());
        assertEquals(OptionalLong.of(100), s.phases().get(0).count());
        assertEquals("clean*100,noise:sigma=64*10,noise:sigma=64*10,contrast:0.4*10,contrast:0.4*10,brightness:40*10,"
                + "brightness:-25.5*10,rotate:30*10,"
                + "rotate:-15*10,occlude:10*10,occlude:5*10", s.toString());
    }

    @Test
    void plusCombinesTransformsInOrder() {
        DriftSchedule s = DriftSchedule.parse("rotate:15+noise:sigma=30*500");
        assertEquals(List.of(new Transform.Rotate(15), new Transform.Noise(30)), s.phases().get(0).transforms());
        assertEquals("rotate:15+noise:sigma=30", s.phaseAt(0).name());
    }

    @Test
    void everyTransformSurvivesAToStringRoundTrip() {
        String text = "clean*10,noise:sigma=12.5*10,contrast:0.4*10,brightness:-40*10,brightness:0.75*10,rotate:-15*10,"
                + "occlude:6*10,brightness:30+noise:sigma=8*10";
        DriftSchedule s = DriftSchedule.parse(text);
        assertEquals(text, s.toString());
        assertEquals(s.phases(), DriftSchedule.parse(s.toString()).phases());
        assertEquals("brightness:-40", s.phaseAt(30).name());
    }

    @Test
    void aBrightnessPhaseShiftsThePixelsOfItsSamples() {
        DriftSchedule s = DriftSchedule.parse("clean*2,brightness:delta=-50");
        float[] image = {10, 60, 200, 255};
        ImageTransforms.Layout row = new ImageTransforms.Layout(1, 1, 4);
        SplittableRandom random = new SplittableRandom(0);
        assertArrayEquals(image, s.phaseAt(1).apply(image, row, random));
        assertArrayEquals(new float[] {0, 10, 150, 205}, s.phaseAt(2).apply(image, row, random));
    }

    @Test
    void aLastPhaseWithoutCountLastsForever() {
        DriftSchedule s = DriftSchedule.parse("clean*1000,contrast:0.4");
        assertFalse(s.repeats());
        assertTrue(s.phaseAt(999).clean());
        assertEquals("contrast:0.4", s.phaseAt(1000).name());
        assertEquals("contrast:0.4", s.phaseAt(1_000_000_000L).name());
        assertTrue(s.startsPhase(1000));
        assertFalse(s.startsPhase(2000));
        assertTrue(DriftSchedule.parse("clean").phaseAt(123).clean());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "\"\"                              | empty drift schedule",
        "clean*100,,noise:80*5           | phase 2 '' of drift schedule 'clean*100,,noise:80*5': empty phase",
        "clean,noise:80*100              | phase 1 'clean' of drift schedule 'clean,noise:80*100': only the last phase may omit its '*COUNT'",
        "clean*abc                       | the count after '*' must be a whole number of samples, got 'abc'",
        "clean*0                         | the count after '*' must be at least 1, got 0",
        "clean*-5                        | the count after '*' must be at least 1, got -5",
        "clean*5*6                       | more than one '*'",
        "blur:3*100                      | unknown transform 'blur'; expected one of clean, noise:sigma=S, contrast:F, brightness:DELTA, rotate:DEGREES, occlude:SIZE",
        "noise*100                       | 'noise' needs a value, e.g. 'noise:sigma=80'",
        "noise:*100                      | 'noise' needs a value",
        "noise:sigma=x*100               | sigma of 'noise' must be a number, got 'x'",
        "noise:mean=3*100                | 'noise' takes 'sigma=', got 'mean='",
        "noise:-1*100                    | noise sigma must be >= 0",
        "noise:NaN*100                   | sigma of 'noise' must be finite",
        "contrast:-0.5*100               | contrast factor must be >= 0",
        "brightness*100                  | 'brightness' needs a value, e.g. 'brightness:40'",
        "brightness:factor=3*100         | 'brightness' takes 'delta=', got 'factor='",
        "brightness:up*100               | delta of 'brightness' must be a number, got 'up'",
        "brightness:300*100              | brightness delta must be within -255..255 (pixel units; 0 = unchanged), got 300",
        "brightness:-255.5*100           | brightness delta must be within -255..255",
        "brightness:Infinity*100         | delta of 'brightness' must be finite",
        "occlude:2.5*100                 | occlude size must be a whole number of pixels >= 1, got 2.5",
        "occlude:0*100                   | occlude size must be a whole number of pixels >= 1",
        "clean:3*100                     | 'clean' takes no value",
        "rotate:30+*100                  | missing transform",
    })
    void badSchedulesAreRefusedWithAMessageThatSaysWhatIsWrong(String text, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DriftSchedule.parse(text));
        assertTrue(e.getMessage().contains(expected), "message: " + e.getMessage());
    }

    @Test
    void aNullScheduleIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> DriftSchedule.parse(null));
    }
}
