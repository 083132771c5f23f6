# Texts of the administration screens.
