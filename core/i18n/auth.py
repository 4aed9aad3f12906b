"""Texts of the sign-in gate and the Admin page."""

TEXT: dict[str, tuple[str, str]] = {
    # sign-in page
    "auth.login.title": ("登录", "Sign in"),
    "auth.login.why": (
        "Kehu 保存客户姓名、电话和营收数据，因此只有有账号的同事才能查看。请使用管理员为你创建的账号登录。",
        "Kehu holds customer names, phone numbers and revenue, so only colleagues with an "
        "account can see it. Sign in with the account your administrator created for you.",
    ),
    "auth.login.username": ("用户名", "Username"),
    "auth.login.password": ("密码", "Password"),
    "auth.login.submit": ("登录", "Sign in"),
    "auth.login.missing": ("请输入用户名和密码。", "Enter your username and password."),
    "auth.login.first_start": (
        "首次启动：已创建管理员账号 admin，其随机密码只在启动 Kehu 的控制台中显示过一次。"
        "登录后请在“管理”页修改密码。也可以在控制台运行 "
        "python -m core users passwd admin 重新设置。",
        "First start: an administrator account admin was created; its random password was "
        "printed once in the console where Kehu was started. After signing in, change it on "
        "the Admin page — or set a new one in the console with python -m core users passwd admin.",
    ),
    "auth.error.wrong": ("用户名或密码错误。", "Wrong username or password."),
    "auth.error.locked": (
        "密码错误次数过多，账号已锁定，请在 {minutes} 分钟后重试，或联系管理员解锁。",
        "Too many wrong passwords: the account is locked. Try again in {minutes} minute(s) "
        "or ask your administrator to unlock it.",
    ),
    "auth.error.disabled": (
        "此账号已被停用，请联系管理员。",
        "This account is disabled. Ask your administrator.",
    ),
    "auth.error.config": ("Kehu 的登录配置有问题：{detail}", "Kehu's sign-in setup has a problem: {detail}"),
    # why a session ended
    "auth.notice.signed_out": ("你已退出登录。", "You have signed out."),
    "auth.notice.expired": (
        "登录已超过 {hours} 小时，请重新登录。",
        "Your sign-in is more than {hours} hours old; please sign in again.",
    ),
    "auth.notice.idle": (
        "{minutes} 分钟未操作，已自动退出，请重新登录。",
        "You were signed out after {minutes} minutes without activity; please sign in again.",
    ),
    "auth.notice.revoked": (
        "你的会话已结束（在别处退出、密码已修改或账号已停用），请重新登录。",
        "Your session has ended (signed out elsewhere, password changed or account disabled); "
        "please sign in again.",
    ),
    # sidebar
    "auth.sidebar.signed_in_as": ("已登录：{name}（{role}）", "Signed in as {name} ({role})"),
    "auth.sidebar.logout": ("退出登录", "Sign out"),
    "auth.role.admin": ("管理员", "administrator"),
    "auth.role.manager": ("客户经理", "manager"),
    "auth.role.viewer": ("只读", "viewer"),
    # admin page
    "admin.refused": (
        "只有管理员可以打开“管理”页。如需更改账号或权限，请联系管理员。",
        "Only administrators can open the Admin page. Ask an administrator to change "
        "accounts or permissions.",
    ),
    "admin.tab.users": ("用户与角色", "Users and roles"),
    "admin.tab.audit": ("审计日志", "Audit log"),
    "admin.users.caption": (
        "管理员：全部权限；客户经理：只看并编辑自己（或所在团队）的客户；只读：可查看全部，但电话和邮箱被遮盖。",
        "Administrator: everything. Manager: sees and edits their own (or their team's) "
        "customers. Viewer: sees everything read-only, phone and e-mail masked.",
    ),
    "admin.col.username": ("用户名", "Username"),
    "admin.col.display_name": ("显示名", "Display name"),
    "admin.col.email": ("邮箱", "E-mail"),
    "admin.col.role": ("角色", "Role"),
    "admin.col.owner_name": ("对应客户经理", "Account manager name"),
    "admin.col.team": ("团队", "Team"),
    "admin.col.can_import": ("可导入", "May import"),
    "admin.col.disabled": ("已停用", "Disabled"),
    "admin.col.locked_until": ("锁定至 (UTC)", "Locked until (UTC)"),
    "admin.col.created_at": ("创建时间 (UTC)", "Created (UTC)"),
    "admin.add.title": ("添加用户", "Add a user"),
    "admin.add.owner_help": (
        "此用户在客户表“客户经理”列中的名字；客户经理角色据此只看到自己的客户。",
        "This user's name as written in the customers' account-manager column; a manager "
        "sees only the customers under this name.",
    ),
    "admin.add.team_help": (
        "填写后，客户经理还能看到同一团队所有客户经理的客户。",
        "If set, a manager also sees the customers of every manager in the same team.",
    ),
    "admin.add.password_repeat": ("再次输入密码", "Repeat the password"),
    "admin.add.submit": ("添加", "Add"),
    "admin.add.done": ("已添加用户 {username}。", "Added {username}."),
    "admin.password.title": ("重置密码", "Reset a password"),
    "admin.password.new": ("新密码", "New password"),
    "admin.password.submit": ("设置新密码", "Set new password"),
    "admin.password.done": (
        "已为 {username} 设置新密码，其所有会话已结束。",
        "New password set for {username}; all their sessions have ended.",
    ),
    "admin.password.differ": ("两次输入的密码不一致。", "The two passwords differ."),
    "admin.status.title": ("停用、启用或解锁", "Disable, enable or unlock"),
    "admin.status.user": ("用户", "User"),
    "admin.status.action": ("操作", "Action"),
    "admin.status.disable": ("停用", "Disable"),
    "admin.status.enable": ("启用", "Enable"),
    "admin.status.unlock": ("解锁", "Unlock"),
    "admin.status.submit": ("执行", "Apply"),
    "admin.status.done": ("已完成：{username}", "Done: {username}"),
    "admin.audit.caption": (
        "登录、退出、导入、撤销、计划修改、设置和账号变更都会记录在此（时间为 UTC，从不记录密码）。",
        "Every sign-in, sign-out, import, undo, plan edit, setting and account change is "
        "recorded here (times in UTC; passwords are never recorded).",
    ),
    "admin.audit.action": ("操作类型", "Action"),
    "admin.audit.all": ("全部", "All"),
    "admin.audit.page": ("页码", "Page"),
    "admin.audit.empty": ("没有符合条件的记录。", "No entries match."),
    "admin.audit.col.logged_at": ("时间 (UTC)", "Time (UTC)"),
    "admin.audit.col.username": ("用户", "User"),
    "admin.audit.col.action": ("操作", "Action"),
    "admin.audit.col.detail": ("详情", "Detail"),
    # audit entries in words (core.auth.describe_audit); unknown codes show as they are
    "admin.audit.do.login": ("登录", "Sign-in"),
    "admin.audit.do.login.password": ("登录（密码）", "Sign-in (password)"),
    "admin.audit.do.login.cookie": ("登录（浏览器会话恢复）", "Sign-in (browser session resumed)"),
    "admin.audit.do.login_failed": ("登录失败", "Failed sign-in"),
    "admin.audit.do.logout": ("退出登录", "Sign-out"),
    "admin.audit.do.import": ("导入", "Import"),
    "admin.audit.do.undo": ("撤销导入", "Import undone"),
    "admin.audit.do.plan_edit": ("修改跟进计划", "Follow-up plan edited"),
    "admin.audit.do.setting": ("修改设置", "Setting changed"),
    "admin.audit.do.user": ("账号变更", "Account change"),
    "admin.audit.do.remove_demo": ("删除演示数据", "Demo company removed"),
    "admin.audit.why.unknown_user": ("用户名不存在", "unknown username"),
    "admin.audit.why.locked": ("账号锁定期间尝试登录", "tried while the account was locked"),
    "admin.audit.why.disabled": ("账号已停用", "account disabled"),
    "admin.audit.why.wrong_password": ("密码错误（15 分钟内第 {failures} 次）", "wrong password ({failures} in 15 minutes)"),
    "admin.audit.why.locked_until": ("{text}，账号锁定至 {until} (UTC)", "{text}; locked until {until} (UTC)"),
    "admin.audit.why.button": ("点击“退出登录”", "pressed Sign out"),
    "admin.audit.import": (
        "{kind}：{file}（{mode}），载入 {loaded} 行，拒绝 {rejected} 行",
        "{kind}: {file} ({mode}), {loaded} rows loaded, {rejected} rejected",
    ),
    "admin.audit.import_demo": ("演示数据：{customers} 位客户", "demo data: {customers} customers"),
    "admin.audit.undo": ("导入 #{import_id}（{kind}），删除 {removed} 行",
                         "import #{import_id} ({kind}): {removed} rows removed"),
    "admin.audit.plan_edit": ("新增 {created}，修改 {updated}，删除 {deleted}，未保存 {refused}",
                              "{created} added, {updated} changed, {deleted} deleted, {refused} refused"),
    "admin.audit.setting_target": ("{month} 的“{target}”目标设为 {value}",
                                   "target of \u201c{target}\u201d for {month} set to {value}"),
    "admin.audit.remove_demo": (
        "删除客户 {customers}、订单 {orders}、问卷 {surveys}、跟进 {followups}、目标 {targets}",
        "removed {customers} customers, {orders} orders, {surveys} surveys, {followups} follow-ups, "
        "{targets} targets",
    ),
    "admin.audit.user.add": ("添加用户 {target}（{role}）", "added {target} ({role})"),
    "admin.audit.user.password": ("重置 {target} 的密码", "reset the password of {target}"),
    "admin.audit.user.disable": ("停用 {target}", "disabled {target}"),
    "admin.audit.user.enable": ("启用 {target}", "enabled {target}"),
    "admin.audit.user.unlock": ("解锁 {target}", "unlocked {target}"),
    "admin.audit.mode.append": ("追加", "append"),
    "admin.audit.mode.upsert": ("更新或新增", "update or add"),
    "admin.audit.mode.replace": ("整表替换", "replace"),
    "admin.add.choose": ("选择或输入新名称", "Choose or type a new name"),
}
