"""The app's configuration, in parts: private files (``files``), folders (``paths``), logging
(``logs``), the settings file (``settings``), Zoho's data centers and URL overrides (``zoho``), the
time zone (``zone``); the wire facts both sides share are the domain's (``domain/wire.py``).
``config.X`` names each of them, as before the split. No Qt here.
"""

from desktop_app.config.files import (  # noqa: F401
    PRIVATE_DIR_MODE,
    PRIVATE_FILE_MODE,
    private_dir,
    private_file,
    private_sqlite,
    write_private,
)
from desktop_app.config.logs import (  # noqa: F401
    _LOG_FORMAT,
    _WARNED,
    USER_LOG,
    PrivateRotatingFileHandler,
    _StderrHandler,
    setup_logging,
    warn_user,
)
from desktop_app.config.paths import (  # noqa: F401
    _SWEPT,
    APP_AUTHOR,
    APP_DISPLAY_NAME,
    APP_NAME,
    ENV_ACCOUNTS_URL,
    ENV_BOOKS_URL,
    ENV_CAMPAIGNS_URL,
    ENV_CLIENT_SECRET,
    ENV_HOME,
    ENV_LOG_LEVEL,
    AppPaths,
    app_paths,
)
from desktop_app.config.settings import (  # noqa: F401
    load_settings,
)
from desktop_app.config.zoho import (  # noqa: F401
    _URL,
    DATA_CENTERS,
    DataCenter,
    data_center,
    data_center_for_accounts_server,
    resolve_endpoints,
)
from desktop_app.config.zone import (  # noqa: F401
    local_zone,
)
from desktop_app.domain.wire import (  # noqa: F401
    BOOKS_PATH,
    CAMPAIGNS_PATH,
    REDIRECT_PATH,
    REDIRECT_PORTS,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    Endpoints,
    redirect_uri,
)
