package dev.edgecompress.passes.finetune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.edgecompress.passes.PassConfigException;
import dev.edgecompress.passes.Steps;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FineTuneStepTest {

    @Test
    void theOptionReadsNumbersTheDecayAndScheduleKeys() {
        Map<String, Object> step = Steps.finetuneOption("epochs=10,lr=0.002,decay=cosine,final_sparsity=0.9,end_step=600");
        assertEquals("{epochs=10.0, lr=0.002, decay=cosine, schedule={final_sparsity=0.9, end_step=600.0}}",
                step.toString());
        Map<String, Object> params = Steps.create("finetune", step).get(0).params();
        assertEquals("cosine", params.get("decay"));
        assertEquals(64, params.get("batch"));
        assertEquals("constant", Steps.create("finetune", Map.of("epochs", 1)).get(0).params().get("decay"));
    }

    @Test
    void badValuesNameTheirField() {
        assertEquals("decay", assertThrows(PassConfigException.class,
                () -> Steps.create("finetune", Steps.finetuneOption("epochs=1,decay=linear"))).field());
        assertEquals("lr", assertThrows(PassConfigException.class, () -> Steps.finetuneOption("epochs=1,lr=fast"))
                .field());
        assertEquals("epochs", assertThrows(PassConfigException.class, () -> Steps.create("finetune",
                Steps.finetuneOption("epochs=0"))).field());
        assertEquals("distill", assertThrows(PassConfigException.class, () -> Steps.create("finetune",
                Steps.finetuneOption("epochs=1,distill=1.5"))).field());
        assertEquals("temperature", assertThrows(PassConfigException.class, () -> Steps.create("finetune",
                Steps.finetuneOption("epochs=1,distill=0.5,temperature=0.5"))).field());
    }

    @Test
    void optimizerAndWeightDecayAreNamedAndChecked() {
        Map<String, Object> params = Steps.create("finetune", Steps.finetuneOption(
                "epochs=1,optimizer=momentum,weight_decay=0.0005,decay=step")).get(0).params();
        assertEquals("momentum", params.get("optimizer"));
        assertEquals(0.0005, params.get("weight_decay"));
        assertEquals("step", params.get("decay"));
        assertEquals("adam", Steps.create("finetune", Map.of("epochs", 1)).get(0).params().get("optimizer"));
        assertEquals("optimizer", assertThrows(PassConfigException.class, () -> Steps.create("finetune",
                Steps.finetuneOption("epochs=1,optimizer=lbfgs"))).field());
        assertEquals("weight_decay", assertThrows(PassConfigException.class, () -> Steps.create("finetune",
                Steps.finetuneOption("epochs=1,weight_decay=-0.1"))).field());
    }

    @Test
    void distillationShowsInTheParametersOnlyWhenOn() {
        Map<String, Object> on = Steps.create("finetune", Steps.finetuneOption("epochs=1,distill=0.5")).get(0).params();
        assertEquals(0.5, on.get("distill"));
        assertEquals(1.0, on.get("temperature"));
        Map<String, Object> off = Steps.create("finetune", Steps.finetuneOption("epochs=1")).get(0).params();
        assertEquals(false, off.containsKey("distill"));
    }
}
