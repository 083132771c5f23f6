# Texts of the meldcode engine: rule reasons and domain errors.
