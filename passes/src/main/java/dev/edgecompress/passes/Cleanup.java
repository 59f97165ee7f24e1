package dev.edgecompress.passes;

import dev.edgecompress.passes.cleanup.FoldBatchNormPass;
import dev.edgecompress.passes.cleanup.FoldConstantsPass;
import dev.edgecompress.passes.cleanup.RemoveDeadNodesPass;
import dev.edgecompress.passes.cleanup.RemoveIdentityPass;
import java.util.List;

/** The cleanup the compression passes rely on, in the order it runs. */
public final class Cleanup {

    private Cleanup() {
    }

    /** Identity/Dropout removal, constants as initializers, BatchNormalization folding, dead code removal. */
    public static List<Pass> passes() {
        return List.of(new RemoveIdentityPass(), new FoldConstantsPass(), new FoldBatchNormPass(),
                new RemoveDeadNodesPass());
    }
}
