from tests.conftest import login


def test_login_and_home(client, make_user):
    user = make_user("trainee", name="张三")
    login(client, user)
    page = client.get("/").get_data(as_text=True)
    assert "张三" in page
